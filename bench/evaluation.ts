/**
 * bench/evaluation: the evaluation path end to end on the local runtime, with DynamoDB (dynalite)
 * in its own process behind a counting proxy (write-counter.mjs, in a worker thread).
 *
 * A model of 50 features (40 numerical, 10 categorical) gets a baseline of 4,000 records (what
 * fits the API's 4,500,000-byte body limit), then a one-hour window of 100,000 predictions
 * through the API in batches of 500 (timestamps spread over the last hour, so every one-minute
 * bucket of the window holds data). The window is
 * compacted as the scheduled run compacts it (its first evaluation compacts every closed
 * bucket it reads). Then `POST /v1/models/{id}/evaluations` is timed end to end over 20 runs
 * and the DynamoDB reads of one evaluation are counted:
 *
 *   evaluation: p50 N ms, p99 N ms, reads N, read KB N
 *   evaluation CPU: p50 N ms in process, dynalite N ms per evaluation (mean)
 *
 * Last, the scheduled run (`runScheduledEvaluations`, what the scheduled function runs) over
 * BENCH_MODELS such models (default 100): the compacted window of the first model is copied to
 * the others, item for item, so each holds the same 100,000 predictions; the first model, just
 * evaluated, is not due, so the run evaluates the other BENCH_MODELS − 1; it prints models/s and
 * the CPU time per model (in process, and in DynamoDB's process).
 *
 * Run: `npm run bench:evaluation` (BENCH_MODELS=10 for a quick run). With
 * BENCH_CPU_PROFILE=<file.cpuprofile>, the timed evaluations are profiled in process (the runtime
 * and the evaluation code run in this process; DynamoDB does not) and the profile is written there;
 * the scheduled run's profile goes to <file>.scheduled.cpuprofile.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { type AttributeValue, BatchWriteItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { localDynamoDbClient, localTableNames } from '../local/dynamodb.ts';
import { startRuntime } from '../local/runtime.ts';

const MODELS = Number(process.env.BENCH_MODELS ?? 100);
const CPU_PROFILE = process.env.BENCH_CPU_PROFILE;
const PREDICTIONS = 100_000;
const BATCH = 500;
const RUNS = 20;
const ADMIN = 'bench-admin-key';
const WINDOW_MS = 3600 * 1000;
const repoRoot = path.resolve(import.meta.dirname, '..');

const numerical = Array.from({ length: 40 }, (_, i) => ({ name: `n${i}`, type: 'numerical' as const }));
const categorical = Array.from({ length: 10 }, (_, i) => ({ name: `c${i}`, type: 'categorical' as const }));
const features = [...numerical, ...categorical];
const CATEGORIES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

let seed = 42;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
const record = (shift: number) => ({
  features: Object.fromEntries([
    ...numerical.map((f, i) => [f.name, (random() - 0.5 + shift) * (i + 1)]),
    ...categorical.map((f, i) => [f.name, CATEGORIES[Math.floor(random() * (3 + (i % 6)))]]),
  ]),
  prediction: random() < 0.3 ? 'churn' : 'stay',
  score: random(),
});

async function spawnDynalite(): Promise<{ endpoint: string; pid?: number; close(): void }> {
  const port = await new Promise<number>((resolve) => {
    const probe = createNetServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  const child = spawn(
    process.execPath,
    [
      path.join(repoRoot, 'node_modules/dynalite/cli.js'),
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--createTableMs',
      '0',
    ],
    { stdio: 'ignore' },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(endpoint);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { endpoint, pid: child.pid, close: () => child.kill() };
}

interface Counts {
  reads: number;
  readBytes: number;
}

async function startCounter(target: string) {
  const worker = new Worker(new URL('./write-counter.mjs', import.meta.url), { workerData: { target } });
  const next = () =>
    new Promise<{ endpoint?: string; counts?: Counts }>((resolve) => worker.once('message', resolve));
  const { endpoint } = await next();
  return {
    endpoint: endpoint as string,
    exchange: async (message: 'reset' | 'read') => {
      const reply = next();
      worker.postMessage(message);
      return (await reply).counts as Counts;
    },
    close: () => worker.terminate(),
  };
}

/** CPU milliseconds a process has used (Linux: /proc/<pid>/stat at 100 ticks a second); undefined elsewhere. */
async function processCpuMs(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;

const dir = await mkdtemp(path.join(tmpdir(), 'vigil-bench-evaluation-'));
const dynalite = await spawnDynalite();
const counter = await startCounter(dynalite.endpoint);
const runtime = await startRuntime({
  dataDir: dir,
  port: 0,
  host: '127.0.0.1',
  adminKey: ADMIN,
  demo: false,
  dynamoEndpoint: counter.endpoint,
  // The scheduled run is driven by this bench, not by the runtime's loop.
  schedulerTickSeconds: 0,
});

async function call(method: string, url: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${runtime.url}${url}`, {
    method,
    headers: { 'x-api-key': ADMIN, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

const role = ['ops@example.com'];
const baseline = Array.from({ length: 4000 }, () => {
  const { score: _score, ...rest } = record(0);
  return rest;
});
async function createModel(modelId: string): Promise<void> {
  await call('PUT', `/v1/models/${modelId}`, {
    name: modelId,
    owner: 'bench@example.com',
    task: 'classification',
    features,
    schedule: { every: 'PT1H', window: 'PT1H' },
    approvers: Object.fromEntries(
      ['dataScienceLead', 'devTeam', 'qa', 'irbLiaison', 'legal', 'mlops', 'operations', 'support'].map(
        (r) => [r, role],
      ),
    ),
  });
  await call('PUT', `/v1/models/${modelId}/baseline`, { records: baseline });
}

try {
  const model = 'bench0';
  await createModel(model);

  // The window: 100,000 predictions over the last hour, four batches in flight at a time.
  const started = performance.now();
  const windowStart = Date.now() - WINDOW_MS + 60_000;
  const batches = PREDICTIONS / BATCH;
  let nextBatch = 0;
  const sendBatches = async () => {
    while (nextBatch < batches) {
      const b = nextBatch++;
      const records = Array.from({ length: BATCH }, (_, i) => ({
        ...record(0),
        timestamp: new Date(
          windowStart + ((b * BATCH + i) / PREDICTIONS) * (WINDOW_MS - 120_000),
        ).toISOString(),
      }));
      await call('POST', `/v1/models/${model}/predictions`, { records });
    }
  };
  await Promise.all([sendBatches(), sendBatches(), sendBatches(), sendBatches()]);
  console.log(
    `ingested ${PREDICTIONS.toLocaleString('en-US')} predictions (${features.length} features) in ${(
      (performance.now() - started) / 1000
    ).toFixed(1)} s`,
  );

  // Compaction as the scheduled run does it: its evaluation compacts the closed buckets it reads.
  const { runScheduledEvaluations } = await import('../functions/commons/evaluation/schedule.ts');
  const compaction = performance.now();
  const first = await runScheduledEvaluations(new Date());
  if (first.some((run) => run.error)) throw new Error(`scheduled run failed: ${JSON.stringify(first)}`);
  console.log(
    `compacted the window (first scheduled run) in ${(performance.now() - compaction).toFixed(0)} ms`,
  );

  // The evaluation, end to end over HTTP.
  // The first evaluation after compaction: nothing of the window decoded yet in this process.
  const cold = performance.now();
  await call('POST', `/v1/models/${model}/evaluations`);
  console.log(`first evaluation after compaction: ${(performance.now() - cold).toFixed(0)} ms`);
  const times: number[] = [];
  let reads: Counts = { reads: 0, readBytes: 0 };
  const profiler = CPU_PROFILE ? new Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const cpu: number[] = [];
  const dynaliteBefore = await processCpuMs(dynalite.pid);
  for (let i = 0; i < RUNS; i++) {
    await counter.exchange('reset');
    const t = performance.now();
    const used = process.cpuUsage();
    await call('POST', `/v1/models/${model}/evaluations`);
    const { user, system } = process.cpuUsage(used);
    times.push(performance.now() - t);
    cpu.push((user + system) / 1000);
    reads = await counter.exchange('read');
  }
  const dynaliteAfter = await processCpuMs(dynalite.pid);
  if (profiler && CPU_PROFILE) {
    const { profile } = await profiler.post('Profiler.stop');
    await writeFile(CPU_PROFILE, JSON.stringify(profile));
  }
  times.sort((a, b) => a - b);
  console.log(
    `evaluation: p50 ${percentile(times, 50).toFixed(0)} ms, p99 ${percentile(times, 99).toFixed(0)} ms, ` +
      `reads ${reads.reads}, read KB ${(reads.readBytes / 1024).toFixed(0)}`,
  );
  // CPU time is what a loaded machine distorts least: this process (the runtime and the evaluation
  // code, and the counting proxy's thread), and DynamoDB's process where it can be read.
  cpu.sort((a, b) => a - b);
  const dynaliteMs =
    dynaliteBefore === undefined || dynaliteAfter === undefined
      ? ''
      : `, dynalite ${((dynaliteAfter - dynaliteBefore) / RUNS).toFixed(0)} ms per evaluation (mean)`;
  console.log(`evaluation CPU: p50 ${percentile(cpu, 50).toFixed(0)} ms in process${dynaliteMs}`);

  // The scheduled run over MODELS models holding the same window.
  if (MODELS > 1) {
    const client = localDynamoDbClient(counter.endpoint);
    const telemetry = localTableNames().Telemetry;
    const items: Record<string, AttributeValue>[] = [];
    const windowMinutes = Math.ceil(WINDOW_MS / 60_000) + 2;
    const firstMinute = Math.floor((Date.now() - WINDOW_MS) / 60_000) - 1;
    for (let m = firstMinute; m < firstMinute + windowMinutes; m++) {
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: telemetry,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': { S: `PROFILE#${model}#60#${m * 60}#0` } },
            ExclusiveStartKey: start,
          }),
        );
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
    }
    for (let k = 1; k < MODELS; k++) {
      const modelId = `bench${k}`;
      await createModel(modelId);
      const copies = items.map((item) => ({
        ...item,
        pk: { S: String(item.pk?.S).replace(`#${model}#`, `#${modelId}#`) },
      }));
      for (let i = 0; i < copies.length; i += 25) {
        let pending: Record<string, { PutRequest: { Item: Record<string, AttributeValue> } }[]> | undefined =
          {
            [telemetry]: copies.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
          };
        while (pending && Object.keys(pending).length > 0) {
          const out = await client.send(new BatchWriteItemCommand({ RequestItems: pending }));
          pending = out.UnprocessedItems as typeof pending;
        }
      }
    }
    // The first model was evaluated within the hour and is not due; the copies are.
    if (profiler) await profiler.post('Profiler.start');
    const t = performance.now();
    const used = process.cpuUsage();
    const dynaliteAtStart = await processCpuMs(dynalite.pid);
    const runs = await runScheduledEvaluations(new Date());
    const seconds = (performance.now() - t) / 1000;
    const { user, system } = process.cpuUsage(used);
    const dynaliteAtEnd = await processCpuMs(dynalite.pid);
    if (profiler && CPU_PROFILE) {
      const { profile } = await profiler.post('Profiler.stop');
      await writeFile(
        CPU_PROFILE.replace(/(\.cpuprofile)?$/, '.scheduled.cpuprofile'),
        JSON.stringify(profile),
      );
    }
    const failed = runs.filter((r) => r.error);
    console.log(
      `scheduled run: ${runs.length} models in ${seconds.toFixed(1)} s, ` +
        `${(runs.length / seconds).toFixed(2)} models/s${failed.length ? `, ${failed.length} failed` : ''}`,
    );
    const perModel = (ms: number) => (ms / Math.max(runs.length, 1)).toFixed(0);
    console.log(
      `scheduled run CPU: ${perModel((user + system) / 1000)} ms per model in process` +
        (dynaliteAtStart === undefined || dynaliteAtEnd === undefined
          ? ''
          : `, dynalite ${perModel(dynaliteAtEnd - dynaliteAtStart)} ms per model`),
    );
  }
} finally {
  await runtime.close();
  await counter.close();
  dynalite.close();
  await rm(dir, { recursive: true, force: true });
}
// A breach opens an incident whose local workflow keeps timers running; the bench is done.
process.exit(0);
