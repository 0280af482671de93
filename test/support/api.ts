import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { localDynamoDbClient, localTableNames } from '../../local/dynamodb.ts';
import { type Runtime, startRuntime } from '../../local/runtime.ts';

export const ADMIN_KEY = 'test-admin-key';

export const approvers = {
  dataScienceLead: ['dsl@example.com'],
  devTeam: ['dev@example.com'],
  qa: ['qa@example.com'],
  irbLiaison: ['irb@example.com'],
  legal: ['legal@example.com'],
  mlops: ['mlops@example.com'],
  operations: ['ops@example.com'],
  support: ['support@example.com'],
};

// biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field
export interface ApiResponse<T = any> {
  readonly status: number;
  readonly body: T;
}

export interface TestApi {
  readonly url: string;
  readonly dynamoEndpoint: string;
  readonly runtime: Runtime;
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field
  call<T = any>(
    method: string,
    path: string,
    options?: { key?: string | null; body?: unknown; raw?: string; contentType?: string },
  ): Promise<ApiResponse<T>>;
  /** Every item of both tables, to prove a rejected request wrote nothing. */
  snapshot(): Promise<string>;
  close(): Promise<void>;
}

/** JSON with the keys of every object sorted, at every depth: equal items, equal text. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** The local runtime in this process on a free port, with its data in a temporary folder. */
export async function startTestApi(): Promise<TestApi> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'vigil-api-'));
  const runtime = await startRuntime({
    dataDir,
    port: 0,
    host: '127.0.0.1',
    adminKey: ADMIN_KEY,
    demo: false,
    schedulerTickSeconds: 0,
  });
  const client = localDynamoDbClient(runtime.dynamoEndpoint);
  const names = localTableNames();
  return {
    url: runtime.url,
    dynamoEndpoint: runtime.dynamoEndpoint,
    runtime,
    async call(method, urlPath, options = {}) {
      const headers: Record<string, string> = {};
      const key = options.key === undefined ? ADMIN_KEY : options.key;
      if (key !== null) headers['x-api-key'] = key;
      let body: string | undefined;
      if (options.raw !== undefined) body = options.raw;
      else if (options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
      const response = await fetch(`${runtime.url}${urlPath}`, { method, headers, body });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, body: parsed as never };
    },
    async snapshot() {
      const parts: unknown[] = [];
      for (const table of Object.values(names)) {
        const items: string[] = [];
        let start: Record<string, AttributeValue> | undefined;
        do {
          const page = await client.send(
            new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }),
          );
          for (const item of page.Items ?? []) items.push(canonical(item));
          start = page.LastEvaluatedKey;
        } while (start);
        parts.push(items.sort());
      }
      return JSON.stringify(parts);
    },
    async close() {
      client.destroy();
      await runtime.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
