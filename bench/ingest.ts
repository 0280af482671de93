/**
 * bench/ingest: ingestion throughput of the local runtime, driven over HTTP by autocannon with
 * batches of 500 predictions (10 numerical and 2 categorical features), against a naive design
 * that stores one item per prediction with BatchWriteItem, both on the same dynalite in the same
 * run. A counting proxy in front of dynalite measures DynamoDB write requests (and items written)
 * per 1,000 predictions. Run: `npm run bench:ingest` (BENCH_SECONDS sets each run's length, default 20).
 */

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import autocannon from 'autocannon';
import { ensureTables, localDynamoDbClient, localTableNames } from '../local/dynamodb.ts';
import { startRuntime } from '../local/runtime.ts';
import { startFaultyDynamoDb } from '../test/support/faulty-dynamodb.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const CONNECTIONS = 4;
const BATCH = 500;
const ADMIN = 'bench-admin-key';
const features = [
  ...Array.from({ length: 10 }, (_, i) => ({ name: `n${i}`, type: 'numerical' as const })),
  { name: 'country', type: 'categorical' as const },
  { name: 'device', type: 'categorical' as const },
];

let seed = 42;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
const record = () => ({
  features: {
    ...Object.fromEntries(features.slice(0, 10).map((f, i) => [f.name, (random() - 0.5) * 10 * (i + 1)])),
    country: ['de', 'fr', 'us', 'jp', 'br'][Math.floor(random() * 5)],
    device: ['ios', 'android', 'web'][Math.floor(random() * 3)],
  },
  prediction: random() < 0.3 ? 'churn' : 'stay',
  score: random(),
});

async function spawnDynalite(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const port = await new Promise<number>((resolve) => {
    const probe = createNetServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  const child = spawn(
    process.execPath,
    ['node_modules/dynalite/cli.js', '--port', String(port), '--host', '127.0.0.1', '--createTableMs', '0'],
    {
      stdio: 'ignore',
    },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(endpoint);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    endpoint,
    close: async () => {
      child.kill();
    },
  };
}

const dir = await mkdtemp(path.join(tmpdir(), 'vigil-bench-ingest-'));
// dynalite runs in a process of its own, as DynamoDB is a service of its own: the figures then
// compare the two designs' load on it rather than on one shared event loop.
const dynalite = await spawnDynalite();
const writes = { requests: 0, items: 0, capacity: 0 };
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);
const counting = await startFaultyDynamoDb(
  dynalite.endpoint,
  (operation, _n, body) => {
    if (!WRITES.has(operation)) return 'pass';
    writes.requests++;
    writes.items += operation === 'BatchWriteItem' ? (body.match(/"PutRequest"/g) ?? []).length : 1;
    return 'pass';
  },
  {
    // Ask for the write capacity DynamoDB would charge (dynalite computes it by item size, as DynamoDB does).
    request: (operation, body) =>
      WRITES.has(operation) ? JSON.stringify({ ...JSON.parse(body), ReturnConsumedCapacity: 'TOTAL' }) : body,
    response: (operation, body) => {
      if (!WRITES.has(operation)) return;
      const consumed = (
        JSON.parse(body) as { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] }
      ).ConsumedCapacity;
      for (const c of [consumed ?? []].flat()) writes.capacity += c.CapacityUnits ?? 0;
    },
  },
);
const runtime = await startRuntime({
  dataDir: dir,
  port: 0,
  host: '127.0.0.1',
  adminKey: ADMIN,
  demo: false,
  dynamoEndpoint: counting.endpoint,
});

async function call(method: string, url: string, body: unknown) {
  const response = await fetch(`${runtime.url}${url}`, {
    method,
    headers: { 'x-api-key': ADMIN, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok)
    throw new Error(`${method} ${url}: ${response.status} ${(await response.text()).slice(0, 500)}`);
}
const role = ['ops@example.com'];
await call('PUT', '/v1/models/bench', {
  name: 'Bench',
  owner: 'bench@example.com',
  task: 'classification',
  features,
  schedule: { every: 'PT1H', window: 'PT1H' },
  approvers: Object.fromEntries(
    ['dataScienceLead', 'devTeam', 'qa', 'irbLiaison', 'legal', 'mlops', 'operations', 'support'].map((r) => [
      r,
      role,
    ]),
  ),
});
await call('PUT', '/v1/models/bench/baseline', {
  records: Array.from({ length: 5000 }, () => {
    const { score: _score, ...rest } = record();
    return rest;
  }),
});

/** The naive design: one item per prediction, written with BatchWriteItem in chunks of 25. */
const { predictionBatchSchema, checkRecords, IssueList } = await import(
  '../functions/commons/telemetry/records.ts'
);
const { loadModel } = await import('../functions/commons/registry/store.ts');
const naiveClient = localDynamoDbClient(counting.endpoint);
const naiveTable = localTableNames('naive');
await ensureTables(naiveClient, naiveTable);
const naive = createServer((req, res) => {
  naiveIngest(req, res).catch((error: unknown) => {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: String(error) }));
  });
});

async function naiveIngest(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  // The same edge work as Vigil's handler (model read, schema and feature checks), then one item per prediction.
  const { records } = predictionBatchSchema.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
  const issues = new IssueList();
  checkRecords(await loadModel('bench'), records, Date.now(), issues);
  if (issues.count > 0) throw new Error(`invalid batch: ${issues.issues[0]?.message}`);
  const now = Date.now();
  const items = records.map((r) => ({
    pk: { S: `PRED#bench#${randomUUID()}` },
    sk: { S: String(now) },
    features: { S: JSON.stringify(r.features) },
    prediction: { S: String(r.prediction) },
    score: { N: String(r.score ?? 0) },
  }));
  for (let i = 0; i < items.length; i += 25) {
    let pending: Record<string, { PutRequest: { Item: (typeof items)[number] } }[]> | undefined = {
      [naiveTable.Telemetry]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
    };
    while (pending && Object.keys(pending).length > 0) {
      const out = await naiveClient.send(new BatchWriteItemCommand({ RequestItems: pending }));
      pending = out.UnprocessedItems as typeof pending;
    }
  }
  res.writeHead(202, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ accepted: records.length }));
}
await new Promise<void>((resolve) => naive.listen(0, '127.0.0.1', () => resolve()));
const naiveUrl = `http://127.0.0.1:${(naive.address() as AddressInfo).port}`;

const body = JSON.stringify({ records: Array.from({ length: BATCH }, record) });

async function measure(name: string, url: string) {
  writes.requests = 0;
  writes.items = 0;
  writes.capacity = 0;
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'x-api-key': ADMIN, 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    duration: SECONDS,
  });
  // Let the requests still in flight when the load stopped finish before the next step.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const ok = result['2xx'];
  const predictions = ok * BATCH;
  return {
    name,
    batches: ok,
    errors: result.non2xx + result.errors,
    predictionsPerSecond: predictions / SECONDS,
    p50: result.latency.p50,
    p99: result.latency.p99,
    writeRequestsPer1000: (writes.requests / predictions) * 1000,
    itemsWrittenPer1000: (writes.items / predictions) * 1000,
    capacityPer1000: (writes.capacity / predictions) * 1000,
  };
}

try {
  const vigil = await measure('vigil', `${runtime.url}/v1/models/bench/predictions`);
  const baseline = await measure('naive', naiveUrl);
  console.log(
    `ingest: ${BATCH} predictions per batch, 10 numerical + 2 categorical features, ${CONNECTIONS} connections, ${SECONDS} s each, Node.js ${process.version}`,
  );
  const columns = ['pred/s', 'p50 ms', 'p99 ms', 'writes/1k', 'items/1k', 'WCU/1k', 'errors'];
  console.log(`${'design'.padEnd(8)}${columns.map((c) => c.padStart(11)).join('')}`);
  for (const r of [vigil, baseline]) {
    const cells = [
      r.predictionsPerSecond.toFixed(0),
      String(r.p50),
      String(r.p99),
      r.writeRequestsPer1000.toFixed(1),
      r.itemsWrittenPer1000.toFixed(1),
      r.capacityPer1000.toFixed(1),
      String(r.errors),
    ];
    console.log(`${r.name.padEnd(8)}${cells.map((c) => c.padStart(11)).join('')}`);
  }
  console.log(
    `throughput vigil/naive on dynalite: ${(vigil.predictionsPerSecond / baseline.predictionsPerSecond).toFixed(2)}x`,
  );
  console.log(
    `write capacity naive/vigil (DynamoDB's 1 WCU per KB written): ${(baseline.capacityPer1000 / vigil.capacityPer1000).toFixed(1)}x`,
  );
} finally {
  await new Promise((resolve) => naive.close(resolve));
  naiveClient.destroy();
  await runtime.close();
  await counting.close();
  await dynalite.close();
  await rm(dir, { recursive: true, force: true });
}
