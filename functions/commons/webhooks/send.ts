import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isLoopbackAddress, mayDeliverTo } from './address.ts';

/** How long one attempt may take, connection to response headers. */
export const ATTEMPT_TIMEOUT_MS = 10_000;
/** Bytes of a receiver's response read at most (only to tell a status apart; never stored whole). */
export const MAX_RESPONSE_BYTES = 1024;

/**
 * How an attempt went: `delivered` (2xx), `retry` (5xx, 429, a timeout, a connection or DNS
 * error: worth trying again later) or `permanent` (any other status, a redirect included, or a
 * URL or address a webhook may not reach: trying again would change nothing).
 */
export type AttemptResult =
  | { readonly outcome: 'delivered'; readonly status: number }
  | { readonly outcome: 'retry' | 'permanent'; readonly status?: number; readonly error: string };

export interface SendOptions {
  /** Loopback receivers (and plain http to them) are allowed: the local runtime only. */
  readonly allowLoopback: boolean;
  readonly timeoutMs?: number;
  /** Resolves a name to all its addresses (node:dns by default; tests give their own). */
  readonly resolve?: (hostname: string) => Promise<LookupAddress[]>;
}

function resolveAll(hostname: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    );
  });
}

/** Whether a URL may be a webhook's, before any name is resolved: the check at registration. */
export function urlProblem(raw: string, allowLoopback: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a valid URL';
  }
  if (url.username || url.password) return 'a webhook URL carries no user name or password';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopbackName = host === 'localhost' || host.endsWith('.localhost');
  const loopback = loopbackName || (isIP(host) !== 0 && isLoopbackAddress(host));
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowLoopback && loopback)) {
    return allowLoopback ? 'must be https (or http to this machine)' : 'must be https';
  }
  if (loopbackName && !allowLoopback) return 'must not point at this machine';
  if (isIP(host) !== 0 && !mayDeliverTo(host, allowLoopback)) {
    return 'must point at a public address (no private, loopback, link-local or metadata address)';
  }
  return undefined;
}

/**
 * POSTs a signed webhook body, refusing server-side request forgery at the time of sending:
 * 1. the URL must pass {@link urlProblem} (https; http and loopback only where allowed);
 * 2. the name is resolved and every address must be public (or loopback where allowed);
 * 3. the connection goes to that checked address (the request's `lookup` returns it), so a
 *    second resolution cannot swap it (DNS rebinding); TLS still verifies the name;
 * 4. redirects are not followed, the attempt times out, and at most {@link MAX_RESPONSE_BYTES}
 *    of the answer are read.
 */
export async function postWebhook(
  rawUrl: string,
  body: string,
  headers: Record<string, string>,
  options: SendOptions,
): Promise<AttemptResult> {
  const problem = urlProblem(rawUrl, options.allowLoopback);
  if (problem) return { outcome: 'permanent', error: `URL refused: ${problem}` };
  const url = new URL(rawUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');

  let addresses: LookupAddress[];
  try {
    addresses =
      isIP(host) !== 0
        ? [{ address: host, family: isIP(host) }]
        : await (options.resolve ?? resolveAll)(host);
  } catch (error) {
    return { outcome: 'retry', error: `DNS: ${(error as NodeJS.ErrnoException).code ?? 'lookup failed'}` };
  }
  if (addresses.length === 0) return { outcome: 'retry', error: 'DNS: no address' };
  const refused = addresses.filter((a) => !mayDeliverTo(a.address, options.allowLoopback));
  if (refused.length > 0) {
    return {
      outcome: 'permanent',
      error: 'address refused: the name resolves to a private, loopback, link-local or reserved address',
    };
  }
  if (url.protocol === 'http:' && !addresses.every((a) => isLoopbackAddress(a.address))) {
    return { outcome: 'permanent', error: 'URL refused: http reaches this machine only' };
  }
  const [checked] = addresses as [LookupAddress, ...LookupAddress[]];
  const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
    if ((lookupOptions as { all?: boolean }).all) {
      (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, [checked]);
    } else callback(null, checked.address, checked.family);
  };
  return attempt(url, body, headers, pinned, options.timeoutMs ?? ATTEMPT_TIMEOUT_MS);
}

function attempt(
  url: URL,
  body: string,
  headers: Record<string, string>,
  lookup: LookupFunction,
  timeoutMs: number,
): Promise<AttemptResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method: 'POST',
        lookup,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'Vigil-Webhooks/1',
        },
        agent: false,
      },
      (response: IncomingMessage) => {
        const status = response.statusCode ?? 0;
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read >= MAX_RESPONSE_BYTES) response.destroy();
        });
        const finish = () => done(classify(status));
        response.on('end', finish);
        response.on('close', finish);
        response.on('error', finish);
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      done({ outcome: 'retry', error: `timeout after ${timeoutMs} ms` });
    }, timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      done({ outcome: 'retry', error: `connection: ${error.code ?? 'failed'}` });
    });
    req.end(body);
  });
}

/** 2xx delivered; 429 and 5xx worth another try; everything else (3xx, 4xx) refused for good. */
export function classify(status: number): AttemptResult {
  if (status >= 200 && status < 300) return { outcome: 'delivered', status };
  if (status === 429 || status >= 500) return { outcome: 'retry', status, error: `HTTP ${status}` };
  return {
    outcome: 'permanent',
    status,
    error: status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`,
  };
}
