/**
 * bench/ingest: ingestion throughput of the local runtime, driven over HTTP by autocannon with
 * batches of 500 predictions (10 numerical and 2 categorical features), against a naive design
 * that stores one item per prediction with BatchWriteItem, both on the same dynalite (in its own
 * process) in the same run. A counting proxy in front of dynalite measures DynamoDB write
 * requests, items written and write capacity per 1,000 predictions. The load generator and the
 * proxy run in worker threads, so the server's event loop does the server's work only. Per
 * 1,000 predictions it reports the event loop's busy time and, on Linux, the CPU time of the
 * server's thread, which a busy machine inflates less (waiting for a core is not CPU time).
 *
 * After a warm-up run of each design, rounds alternate which design goes first; the ratio is the
 * median over rounds. Last, it compacts what Vigil wrote, times that, and checks that every
 * prediction answered 202 is counted in the window profiles.
 *
 * Run: `npm run bench:ingest` (BENCH_ROUNDS rounds, default 5, of BENCH_SECONDS per design,
 * default 10). `BENCH_SEGMENTS=1..3` declares that many segment features (docs/drift.md,
 * Segments): `country` (5 values), `device` (3), and with 3 a 13th feature, `region`, of 60
 * values (the 50 most frequent tracked, the rest `__other__`). With
 * BENCH_CPU_PROFILE=<file.cpuprofile>, the server's event loop is profiled during Vigil's timed
 * runs (not the warm-up, not the naive design's): round N's profile is written to
 * <file>-N.cpuprofile.
 */

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { BatchWriteItemCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import autocannon from 'autocannon';
import { readBodyText } from '../local/api-gateway.ts';
import { ensureTables, localDynamoDbClient, localTableNames } from '../local/dynamodb.ts';
import { startRuntime } from '../local/runtime.ts';
import { spawnDynalite } from './dynalite.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const SEGMENTS = Number(process.env.BENCH_SEGMENTS ?? 0);
if (!(Number.isInteger(SEGMENTS) && SEGMENTS >= 0 && SEGMENTS <= 3))
  throw new Error('BENCH_SEGMENTS: 0 to 3');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CPU_PROFILE = process.env.BENCH_CPU_PROFILE;
const CONNECTIONS = 4;
const BATCH = 500;
const ADMIN = 'bench-admin-key';
const features = [
  ...Array.from({ length: 10 }, (_, i) => ({ name: `n${i}`, type: 'numerical' as const })),
  { name: 'country', type: 'categorical' as const },
  { name: 'device', type: 'categorical' as const },
  ...(SEGMENTS === 3 ? [{ name: 'region', type: 'categorical' as const }] : []),
];
const segments = ['country', 'device', 'region'].slice(0, SEGMENTS);

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
    ...(SEGMENTS === 3 ? { region: `region-${Math.floor(random() * random() * 60)}` } : {}),
  },
  prediction: random() < 0.3 ? 'churn' : 'stay',
  score: random(),
});

/**
 * CPU time of this process's main thread (the server's event loop), in ms, from Linux's
 * /proc (USER_HZ ticks of 10 ms); undefined elsewhere. Unlike the event loop's busy time, it
 * does not grow while the thread waits for a core on a busy machine.
 */
function mainThreadCpuMs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

interface WriteCounts {
  requests: number;
  items: number;
  capacity: number;
}

/** The counting proxy (write-counter.mjs) in a worker thread. */
async function startWriteCounter(target: string) {
  const worker = new Worker(new URL('./write-counter.mjs', import.meta.url), { workerData: { target } });
  const next = () =>
    new Promise<{ endpoint?: string; counts?: WriteCounts }>((resolve) => worker.once('message', resolve));
  const { endpoint } = await next();
  return {
    endpoint: endpoint as string,
    exchange: async (message: 'reset' | 'read') => {
      const reply = next();
      worker.postMessage(message);
      return (await reply).counts as WriteCounts;
    },
    close: () => worker.terminate(),
  };
}

const dir = await mkdtemp(path.join(tmpdir(), 'vigil-bench-ingest-'));
// dynalite runs in a process of its own, as DynamoDB is a service of its own: the figures then
// compare the two designs' load on it rather than on one shared event loop.
const dynalite = await spawnDynalite();
const counter = await startWriteCounter(dynalite.endpoint);
const runtime = await startRuntime({
  dataDir: dir,
  port: 0,
  host: '127.0.0.1',
  adminKey: ADMIN,
  demo: false,
  dynamoEndpoint: counter.endpoint,
  // No scheduler: in AWS compaction runs in the scheduled evaluation's own function, not in the
  // ingest function, so it is timed on its own at the end rather than mixed into either design's run.
  schedulerTickSeconds: 0,
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
  ...(segments.length > 0 ? { segments } : {}),
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
const { plainPredictionBatch } = await import('../functions/commons/telemetry/plain-records.ts');
const { loadModel } = await import('../functions/commons/registry/store.ts');
const naiveClient = localDynamoDbClient(counter.endpoint);
let naiveTable = localTableNames('naive');
/**
 * Each naive run writes to a new, empty table and the last one is dropped: hundreds of thousands
 * of items would otherwise slow dynalite (not DynamoDB) for every later run of either design.
 */
async function freshNaiveTable(round: number): Promise<void> {
  const previous = naiveTable;
  naiveTable = localTableNames(`naive${round}`);
  await ensureTables(naiveClient, naiveTable);
  for (const name of Object.values(previous)) {
    await naiveClient.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
  }
}
const naive = createServer((req, res) => {
  naiveIngest(req, res).catch((error: unknown) => {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: String(error) }));
  });
});

async function naiveIngest(req: IncomingMessage, res: ServerResponse): Promise<void> {
  // The same edge work as Vigil's handler (body text as the local gateway reads it, model read,
  // schema and feature checks), then one item per prediction.
  const data: unknown = JSON.parse(await readBodyText(req));
  const { records } = plainPredictionBatch(data) ?? predictionBatchSchema.parse(data);
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

async function measure(name: string, url: string, seconds = SECONDS) {
  await counter.exchange('reset');
  const cpuBefore = {
    loop: performance.eventLoopUtilization(),
    thread: mainThreadCpuMs(),
    dynalite: await dynalite.cpuMs(),
  };
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'x-api-key': ADMIN, 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    duration: seconds,
    // The load generator runs in a worker thread: clients are not on the server's event loop.
    workers: 1,
  });
  // Let the requests still in flight when the load stopped finish before the next step.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const loop = performance.eventLoopUtilization(cpuBefore.loop);
  const threadAfter = mainThreadCpuMs();
  const threadCpu =
    threadAfter === undefined || cpuBefore.thread === undefined ? Number.NaN : threadAfter - cpuBefore.thread;
  const dynaliteCpu = (await dynalite.cpuMs()) - cpuBefore.dynalite;
  const writes = await counter.exchange('read');
  const ok = result['2xx'];
  const predictions = ok * BATCH;
  return {
    name,
    batches: ok,
    errors: result.non2xx + result.errors,
    predictionsPerSecond: predictions / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    writeRequestsPer1000: (writes.requests / predictions) * 1000,
    itemsWrittenPer1000: (writes.items / predictions) * 1000,
    capacityPer1000: (writes.capacity / predictions) * 1000,
    // Per 1,000 predictions: the server's event loop busy time (the load generator and the
    // counting proxy run in worker threads), the CPU time of its thread, and dynalite's CPU time.
    serviceCpuPer1000: (loop.active / predictions) * 1000,
    threadCpuPer1000: (threadCpu / predictions) * 1000,
    dynaliteCpuPer1000: (dynaliteCpu / predictions) * 1000,
  };
}

type Figures = Awaited<ReturnType<typeof measure>>;

function table(rows: Figures[]): void {
  const columns = [
    'pred/s',
    'p50 ms',
    'p99 ms',
    'writes/1k',
    'items/1k',
    'WCU/1k',
    'loop ms/1k',
    'cpu ms/1k',
    'db ms/1k',
    'errors',
  ];
  console.log(`${'design'.padEnd(14)}${columns.map((c) => c.padStart(11)).join('')}`);
  for (const r of rows) {
    const cells = [
      r.predictionsPerSecond.toFixed(0),
      String(r.p50),
      String(r.p99),
      r.writeRequestsPer1000.toFixed(1),
      r.itemsWrittenPer1000.toFixed(1),
      r.capacityPer1000.toFixed(1),
      r.serviceCpuPer1000.toFixed(1),
      r.threadCpuPer1000.toFixed(1),
      r.dynaliteCpuPer1000.toFixed(1),
      String(r.errors),
    ];
    console.log(`${r.name.padEnd(14)}${cells.map((c) => c.padStart(11)).join('')}`);
  }
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

try {
  console.log(
    `ingest: ${BATCH} predictions per batch, 10 numerical + ${features.length - 10} categorical features, ${segments.length} segment features${segments.length ? ` (${segments.join(', ')})` : ''}, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s per design, Node.js ${process.version}`,
  );
  // Rounds alternate which design goes first, and each round's ratio compares runs a few seconds
  // apart, so that drift in the machine's speed weighs on both designs alike.
  // A warm-up run of each design first (not reported): compiled code and connection pools.
  const benchStart = Date.now();
  const warmUp = await measure('warm-up', `${runtime.url}/v1/models/bench/predictions`, SECONDS);
  await freshNaiveTable(0);
  await measure('warm-up', naiveUrl, SECONDS);
  const rows: Figures[] = [];
  const ratios: number[] = [];
  let accepted = warmUp.batches * BATCH;
  const profiler = CPU_PROFILE ? new Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
  }
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? ['vigil', 'naive'] : ['naive', 'vigil'];
    const figures: Record<string, Figures> = {};
    for (const design of order) {
      if (design === 'naive') await freshNaiveTable(round);
      const url = design === 'vigil' ? `${runtime.url}/v1/models/bench/predictions` : naiveUrl;
      const profiled = profiler !== undefined && design === 'vigil';
      if (profiled) await profiler.post('Profiler.start');
      figures[design] = await measure(`${design} #${round}`, url);
      if (profiled) {
        const { profile } = await profiler.post('Profiler.stop');
        await writeFile(
          (CPU_PROFILE as string).replace(/(\.cpuprofile)?$/, `-${round}.cpuprofile`),
          JSON.stringify(profile),
        );
      }
    }
    const vigil = figures.vigil as Figures;
    const naiveFigures = figures.naive as Figures;
    accepted += vigil.batches * BATCH;
    rows.push(vigil, naiveFigures);
    ratios.push(vigil.predictionsPerSecond / naiveFigures.predictionsPerSecond);
  }
  profiler?.disconnect();
  table(rows);
  console.log(
    `throughput vigil/naive on dynalite, per round: ${ratios.map((r) => `${r.toFixed(2)}x`).join(', ')}; median ${median(ratios).toFixed(2)}x`,
  );
  const capacity = (design: string) =>
    median(rows.filter((r) => r.name.startsWith(design)).map((r) => r.capacityPer1000));
  console.log(
    `write capacity naive/vigil (DynamoDB's 1 WCU per KB written): ${(capacity('naive') / capacity('vigil')).toFixed(1)}x`,
  );
  const threadCpu = (design: string) =>
    median(rows.filter((r) => r.name.startsWith(design)).map((r) => r.threadCpuPer1000));
  console.log(
    `server thread CPU per 1,000 predictions, median: vigil ${threadCpu('vigil').toFixed(1)} ms, naive ${threadCpu('naive').toFixed(1)} ms (${(threadCpu('naive') / threadCpu('vigil')).toFixed(2)}x)`,
  );

  // Compaction of what Vigil wrote, and a check that every accepted prediction is counted once.
  const { sortDeltas, compactBucket, bucketColumns, readBucket } = await import(
    '../functions/commons/telemetry/deltas.ts'
  );
  const telemetry = localTableNames().Telemetry;
  const readPartition = (pk: string) => readBucket(telemetry, pk);
  // The bench model's one-hour window is aggregated in one-minute buckets.
  const partitions: string[] = [];
  for (let minute = Math.floor(benchStart / 60_000) * 60; minute * 1000 <= Date.now(); minute += 60) {
    partitions.push(`PROFILE#bench#60#${minute}#0`);
  }
  const counted = async () => {
    let total = 0;
    for (const pk of partitions) {
      const prediction = bucketColumns(sortDeltas(await readPartition(pk)), 1).get('@prediction') ?? {};
      for (const [key, value] of Object.entries(prediction)) if (key.startsWith('c:')) total += value;
    }
    return total;
  };
  const before = await counted();
  let deltas = 0;
  const started = performance.now();
  for (const pk of partitions) {
    const sorted = sortDeltas(await readPartition(pk));
    deltas += sorted.live.length;
    await compactBucket(telemetry, pk, sorted);
  }
  const compactionMs = performance.now() - started;
  const after = await counted();
  console.log(
    `compaction: ${deltas} deltas (${before} predictions) merged in ${compactionMs.toFixed(0)} ms, ${((compactionMs / before) * 1000).toFixed(2)} ms per 1,000 predictions; counted after: ${after}`,
  );
  console.log(
    `predictions answered 202: ${accepted}; counted: ${after} (${after - accepted} more were in flight when a run ended)`,
  );
} finally {
  await new Promise((resolve) => naive.close(resolve));
  naiveClient.destroy();
  await runtime.close();
  await counter.close();
  await dynalite.close();
  await rm(dir, { recursive: true, force: true });
}
