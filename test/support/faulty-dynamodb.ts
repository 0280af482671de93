import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the proxy does to one request: pass it, throttle it, leave part of a batch unprocessed,
 * fail it, or apply it and drop the connection before the answer.
 */
export type Fault = 'pass' | 'throttle' | 'unprocessed' | 'fail' | 'drop';

export interface FaultyDynamoDb {
  readonly endpoint: string;
  /** Requests seen per operation and fault applied. */
  readonly seen: Record<string, Record<Fault, number>>;
  close(): Promise<void>;
}

/**
 * A fault-injecting HTTP proxy in front of a real DynamoDB API server (dynalite): for each
 * request, `decide(operation, n, body)` (n counts that operation's requests from 1) picks a fault.
 * Throttling answers ProvisionedThroughputExceededException; `unprocessed` forwards only the
 * first half of a BatchWriteItem's puts and returns the rest as UnprocessedItems, as DynamoDB
 * does under load; `fail` answers a 500 InternalServerError; `drop` forwards the request, lets
 * DynamoDB apply it, and closes the connection instead of answering, as a network failure after
 * the write does (the client cannot tell whether it was applied, and retries).
 */
export async function startFaultyDynamoDb(
  target: string,
  decide: (operation: string, n: number, body: string) => Fault,
): Promise<FaultyDynamoDb> {
  const seen: FaultyDynamoDb['seen'] = {};
  const counts = new Map<string, number>();
  const targetUrl = new URL(target);
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? 'Unknown';
    let body = Buffer.concat(chunks).toString('utf8');
    const n = (counts.get(operation) ?? 0) + 1;
    counts.set(operation, n);
    let fault = decide(operation, n, body);
    if (fault === 'unprocessed' && operation !== 'BatchWriteItem') fault = 'pass';
    seen[operation] ??= { pass: 0, throttle: 0, unprocessed: 0, fail: 0, drop: 0 };
    seen[operation][fault]++;

    const reply = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(payload));
    };
    if (fault === 'throttle') {
      return reply(400, {
        __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
        message: 'The level of configured provisioned throughput for the table was exceeded (injected)',
      });
    }
    if (fault === 'fail') {
      return reply(500, {
        __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
        message: 'injected',
      });
    }
    let held: Record<string, unknown[]> | undefined;
    if (fault === 'unprocessed') {
      const input = JSON.parse(body) as { RequestItems: Record<string, unknown[]> };
      held = {};
      for (const [table, requests] of Object.entries(input.RequestItems)) {
        const keep = Math.ceil(requests.length / 2);
        // DynamoDB names a table in UnprocessedItems only with requests left in it.
        if (requests.length > keep) held[table] = requests.slice(keep);
        input.RequestItems[table] = requests.slice(0, keep);
      }
      body = JSON.stringify(input);
    }
    const upstream = httpRequest(
      {
        hostname: targetUrl.hostname,
        port: targetUrl.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, 'content-length': Buffer.byteLength(body) },
      },
      async (upstreamResponse) => {
        const parts: Buffer[] = [];
        for await (const part of upstreamResponse) parts.push(part as Buffer);
        if (fault === 'drop') {
          res.socket?.destroy();
          return;
        }
        let text = Buffer.concat(parts).toString('utf8');
        if (held && upstreamResponse.statusCode === 200) {
          const output = JSON.parse(text) as { UnprocessedItems?: Record<string, unknown[]> };
          output.UnprocessedItems = { ...(output.UnprocessedItems ?? {}), ...held };
          text = JSON.stringify(output);
        }
        const headers = { ...upstreamResponse.headers };
        delete headers['x-amz-crc32'];
        headers['content-length'] = String(Buffer.byteLength(text));
        res.writeHead(upstreamResponse.statusCode ?? 500, headers);
        res.end(text);
      },
    );
    upstream.on('error', (error) => {
      if (!res.headersSent)
        reply(502, {
          __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
          message: error.message,
        });
    });
    upstream.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
