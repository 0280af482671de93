import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Answer = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A local HTTP server that answers each request with the next scripted answer (the last one repeats), and keeps every request body. */
export async function scriptedServer(
  script: Answer[],
): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server: Server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    bodies.push(body);
    const answer = script[bodies.length - 1] ?? script.at(-1);
    answer?.(req, res, body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
export const hangUp = (req: IncomingMessage) => req.socket.destroy();
export const inProgress = json(409, {
  error: { code: 'batch_in_progress', message: 'Batch b-1 is being processed; retry shortly', issues: [] },
});
