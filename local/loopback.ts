import type { IncomingMessage } from 'node:http';

/**
 * From this machine, to this machine: the local-only pages and routes (the dashboard and
 * `/_local/...`) need no key, so they answer loopback callers only, even when the runtime
 * listens on every interface (VIGIL_HOST=0.0.0.0), and only under a loopback host name, so that
 * a page on another site whose name was rebound to 127.0.0.1 cannot read them.
 */
export function fromThisMachine(request: IncomingMessage): boolean {
  const address = request.socket.remoteAddress ?? '';
  const loopback = address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
  let hostname = '';
  try {
    hostname = new URL(`http://${request.headers.host ?? ''}`).hostname;
  } catch {
    return false;
  }
  return (
    loopback && (hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname))
  );
}
