import { request } from 'node:http';
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { localDynamoDbClient, localTableNames } from '../../local/dynamodb.ts';

/** An answer as the client sees it: status, media type, text, and the JSON when it is JSON. */
export interface RawResponse {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: the sweep reads whatever JSON a route answers
  readonly json: any;
}

/**
 * One HTTP request with the path sent byte for byte as given (no URL normalisation: `..`,
 * `%2F`, malformed percent-escapes reach the server as a hostile client would send them).
 */
export function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: hostname === 'localhost' ? '127.0.0.1' : hostname,
        port,
        method,
        path,
        // A connection per request: a kept-alive one may be closed by the server as it is reused.
        agent: false,
        headers: {
          ...options.headers,
          ...(options.body !== undefined ? { 'content-length': Buffer.byteLength(options.body) } : {}),
        },
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const contentType = String(incoming.headers['content-type'] ?? '');
          let json: unknown;
          if (contentType.startsWith('application/json')) {
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
          }
          resolve({ status: incoming.statusCode ?? 0, contentType, text, json });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** JSON with the keys of every object sorted, at every depth: equal items, equal text. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** Reads every item of both tables as one text, to prove that a refused request wrote nothing. */
export function tableSnapshots(dynamoEndpoint: string): { snapshot(): Promise<string>; close(): void } {
  const client = localDynamoDbClient(dynamoEndpoint);
  const scan = async (table: string) => {
    const items: string[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }),
      );
      for (const item of page.Items ?? []) items.push(canonical(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return items.sort();
  };
  return {
    snapshot: async () => JSON.stringify(await Promise.all(Object.values(localTableNames()).map(scan))),
    close: () => client.destroy(),
  };
}

export type JsonPath = readonly (string | number)[];

/** A field's path as the API's errors name it: `records[0].features.age`, `(body)` for the root. */
export function fieldName(path: JsonPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out || '(body)';
}

/** Every node of a JSON value below the root, parents before their children. */
export function nodesOf(value: unknown, path: JsonPath = []): { path: JsonPath; value: unknown }[] {
  const found: { path: JsonPath; value: unknown }[] = [];
  if (Array.isArray(value)) {
    value.forEach((child, i) => {
      found.push({ path: [...path, i], value: child }, ...nodesOf(child, [...path, i]));
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      found.push({ path: [...path, key], value: child }, ...nodesOf(child, [...path, key]));
    }
  }
  return found;
}

/** A deep copy of `value` with the node at `path` replaced (or added, for an object's key). */
export function withValue(value: unknown, path: JsonPath, replacement: unknown): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let node = copy;
  for (const part of path.slice(0, -1)) node = node[part] as Record<string | number, unknown>;
  node[path.at(-1) as string | number] = replacement;
  return copy;
}

/** A JSON document nested `depth` levels deep: arrays, or objects under `key`. */
export function nested(depth: number, kind: 'array' | 'object', key = 'a'): string {
  return kind === 'array'
    ? `${'['.repeat(depth)}1${']'.repeat(depth)}`
    : `${`{"${key}":`.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** The JSON Schema of the node at `path` of a document the schema describes, when one can tell. */
export function schemaAt(schema: unknown, path: JsonPath): Record<string, unknown> | undefined {
  let node = schema as Record<string, unknown> | undefined;
  for (const part of path) {
    if (!node) return undefined;
    if (typeof part === 'number') node = node.items as Record<string, unknown> | undefined;
    else {
      const properties = node.properties as Record<string, Record<string, unknown>> | undefined;
      const additional = node.additionalProperties;
      node =
        properties?.[part] ??
        (additional && typeof additional === 'object' ? (additional as Record<string, unknown>) : undefined);
    }
  }
  return node;
}

/** Runs `work` over `items`, `width` at a time, answers in order. */
export async function inBatches<T, R>(items: readonly T[], width: number, work: (item: T) => Promise<R>) {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i] as T);
      }
    }),
  );
  return results;
}
