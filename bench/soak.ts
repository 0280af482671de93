/**
 * bench/soak: a load and fault run of ingestion against the local runtime, on loopback only.
 * For SOAK_SECONDS (default 60), SOAK_CONNECTIONS clients (default 50) send a mix of prediction
 * batches (with and without batchId), replays of accepted batches, the same batchId with other
 * content, actuals for accepted predictions, metric points, feedback and invalid requests, while
 * a proxy in front of DynamoDB (dynalite, in a process of its own) throttles a share of all
 * calls and drops the connection of a share of writes after DynamoDB applied them. A request
 * answered 5xx or 409 is retried as a client would, with the same batch id and content.
 *
 * Then it prints the requests by kind and status, and checks with faults off that every record
 * answered 2xx is counted exactly once (window profiles, performance counters, metric counts and
 * exact sums, feedback counts, the daily totals of predictions and feedback) and that no request answered 4xx wrote anything: it prints what
 * was lost and what was counted twice. Records of requests whose outcome is unknown (a 5xx
 * without a batch id, which a client cannot retry safely) are allowed either way and shown.
 *
 * Run: `npm run bench:soak` (SOAK_SECONDS=10 for a quick run).
 */

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { localDynamoDbClient, localTableNames } from '../local/dynamodb.ts';
import { startRuntime } from '../local/runtime.ts';
import { startFaultyDynamoDb } from '../test/support/faulty-dynamodb.ts';
import { spawnDynalite } from './dynalite.ts';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const CONNECTIONS = Number(process.env.SOAK_CONNECTIONS ?? 50);
/** Shares of DynamoDB calls throttled, and of writes dropped after they were applied. */
const THROTTLE = Number(process.env.SOAK_THROTTLE ?? 0.05);
const DROP = Number(process.env.SOAK_DROP ?? 0.03);
const ADMIN = 'soak-admin-key';
const MODEL = 'soak';
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

let seed = 7;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const uid = () => randomBytes(6).toString('base64url');

const dir = await mkdtemp(path.join(tmpdir(), 'vigil-soak-'));
const dynalite = await spawnDynalite();
let faults = false;
const proxy = await startFaultyDynamoDb(dynalite.endpoint, (operation) => {
  if (!faults) return 'pass';
  const r = random();
  if (r < THROTTLE) return 'throttle';
  if (WRITES.has(operation) && r < THROTTLE + DROP) return 'drop';
  return 'pass';
});
const runtime = await startRuntime({
  dataDir: dir,
  port: 0,
  host: '127.0.0.1',
  adminKey: ADMIN,
  demo: false,
  dynamoEndpoint: proxy.endpoint,
  // Compaction (every model, every tick) runs during the load, under the same faults.
  schedulerTickSeconds: 5,
});

async function call(method: string, url: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${runtime.url}${url}`, {
    method,
    headers: { 'x-api-key': ADMIN, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, body: parsed };
}

const role = ['ops@example.com'];
const features = [
  { name: 'a', type: 'numerical' },
  { name: 'b', type: 'numerical' },
  { name: 'plan', type: 'categorical' },
];
const record = (id?: string) => ({
  ...(id ? { predictionId: id } : {}),
  features: { a: random() * 100, b: (random() - 0.5) * 1e12, plan: pick(['basic', 'plus', 'pro']) },
  prediction: random() < 0.4 ? 'churn' : 'stay',
});
for (const [method, url, body] of [
  [
    'PUT',
    `/v1/models/${MODEL}`,
    {
      name: 'Soak',
      owner: 'soak@example.com',
      task: 'classification',
      features,
      schedule: { every: 'PT1H', window: 'PT1H' },
      groundTruth: { lookbackDays: 1 },
      writeShards: 2,
      approvers: Object.fromEntries(
        ['dataScienceLead', 'devTeam', 'qa', 'irbLiaison', 'legal', 'mlops', 'operations', 'support'].map(
          (r) => [r, role],
        ),
      ),
    },
  ],
  [
    'PUT',
    `/v1/models/${MODEL}/baseline`,
    {
      records: Array.from({ length: 2000 }, () => {
        const { predictionId: _id, ...rest } = record();
        return rest;
      }),
    },
  ],
] as const) {
  const response = await call(method, url, body);
  if (response.status >= 300)
    throw new Error(`${method} ${url}: ${response.status} ${JSON.stringify(response.body)}`);
}

/** What the clients learnt: requests by kind and status, and what must be counted. */
const statuses = new Map<string, Map<number, number>>();
const expected = { predictions: 0, joined: new Set<string>(), metrics: 0, metricSum: 0n, feedback: 0 };
const unknown = { predictions: 0, feedback: 0 };
/** Accepted prediction batches (for replays) and their ids not yet sent as actuals. */
const accepted: { batchId: string; body: { batchId: string; records: ReturnType<typeof record>[] } }[] = [];
const awaitingActuals: string[] = [];
const acceptedActuals: { batchId: string; records: { predictionId: string; actual: string }[] }[] = [];
const badMarkers: string[] = [];

function count(kind: string, status: number) {
  const byStatus = statuses.get(kind) ?? new Map<number, number>();
  byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  statuses.set(kind, byStatus);
}

/** Sends a request, retrying 5xx and 409 (a retry of the same request) a few times, as a client would. */
async function send(kind: string, url: string, body: unknown, retry: boolean) {
  for (let attempt = 0; ; attempt++) {
    const response = await call('POST', url, body);
    count(kind, response.status);
    const retryable = response.status >= 500 || response.status === 409;
    if (!retry || !retryable || attempt >= 5) return response;
    await new Promise((r) => setTimeout(r, 200 * 2 ** attempt * (0.5 + random())));
  }
}

const base = `/v1/models/${MODEL}`;
const actions: [number, () => Promise<void>][] = [
  [
    30,
    async () => {
      const batchId = `p-${uid()}`;
      const body = {
        batchId,
        records: Array.from({ length: 20 + Math.floor(random() * 60) }, () => record(uid())),
      };
      const response = await send('predictions', `${base}/predictions`, body, true);
      if (response.status === 202) {
        expected.predictions += body.records.length;
        accepted.push({ batchId, body });
        awaitingActuals.push(...body.records.map((r) => r.predictionId as string));
      }
    },
  ],
  [
    5,
    async () => {
      // No batch id: not retried after a 5xx, whose records may or may not have been counted.
      const body = { records: Array.from({ length: 10 + Math.floor(random() * 30) }, () => record()) };
      const response = await send('predictions (no batchId)', `${base}/predictions`, body, false);
      if (response.status === 202) expected.predictions += body.records.length;
      else if (response.status >= 500) unknown.predictions += body.records.length;
    },
  ],
  [
    8,
    async () => {
      if (accepted.length === 0) return;
      await send('predictions replayed', `${base}/predictions`, pick(accepted).body, true);
    },
  ],
  [
    4,
    async () => {
      if (accepted.length === 0) return;
      const { batchId } = pick(accepted);
      await send(
        'predictions, batchId reused',
        `${base}/predictions`,
        { batchId, records: [record(uid())] },
        true,
      );
    },
  ],
  [
    18,
    async () => {
      const ids = awaitingActuals.splice(0, 10 + Math.floor(random() * 40));
      if (ids.length === 0) return;
      const body = {
        batchId: `a-${uid()}`,
        records: [...ids, `never-${uid()}`].map((predictionId) => ({
          predictionId,
          actual: random() < 0.5 ? 'churn' : 'stay',
        })),
      };
      const response = await send('actuals', `${base}/actuals`, body, true);
      if (response.status === 202) {
        for (const id of ids) expected.joined.add(id);
        acceptedActuals.push(body);
      } else awaitingActuals.push(...ids);
    },
  ],
  [
    4,
    async () => {
      if (acceptedActuals.length === 0) return;
      const body = pick(acceptedActuals);
      await send('actuals replayed', `${base}/actuals`, body, true);
      await send(
        'actuals, batchId reused',
        `${base}/actuals`,
        { batchId: body.batchId, records: body.records.slice(1) },
        true,
      );
    },
  ],
  [
    12,
    async () => {
      const records = Array.from({ length: 1 + Math.floor(random() * 20) }, () => ({
        name: 'latency_ns',
        value: Math.round(random() * 1e15),
      }));
      const response = await send('metrics', `${base}/metrics`, { batchId: `m-${uid()}`, records }, true);
      if (response.status === 202) {
        expected.metrics += records.length;
        for (const r of records) expected.metricSum += BigInt(r.value);
      }
    },
  ],
  [
    12,
    async () => {
      const body = { category: pick(['complaint', 'query']), message: `soak ${uid()}` };
      const response = await send('feedback', `${base}/feedback`, body, false);
      if (response.status === 202) expected.feedback++;
      else if (response.status >= 500) unknown.feedback++;
    },
  ],
  [
    7,
    async () => {
      // Invalid: a prediction id twice, or an unknown feature; marked so that any write shows.
      const marker = `bad-${uid()}`;
      badMarkers.push(marker);
      const twice = record(marker);
      const records =
        random() < 0.5
          ? [twice, record(`${marker}-2`), twice]
          : [{ ...record(`${marker}-1`), features: { ...record().features, unknown: 1 } }];
      await send('invalid', `${base}/predictions`, { batchId: marker, records }, false);
    },
  ],
];
const totalWeight = actions.reduce((sum, [weight]) => sum + weight, 0);

/** An action at random, in proportion to its weight. */
function chooseAction(): (typeof actions)[number] {
  let r = random() * totalWeight;
  for (const action of actions) {
    r -= action[0];
    if (r < 0) return action;
  }
  return actions[0] as (typeof actions)[number];
}

console.log(
  `soak: ${SECONDS} s, ${CONNECTIONS} connections, DynamoDB calls throttled ${(THROTTLE * 100).toFixed(0)}%, writes dropped after applying ${(DROP * 100).toFixed(0)}%, Node.js ${process.version}`,
);
const started = Date.now();
faults = true;
try {
  const stopAt = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < stopAt) {
        const action = chooseAction();
        await action[1]().catch((error: unknown) => count(`client error: ${String(error).slice(0, 60)}`, 0));
      }
    }),
  );
  faults = false;
  const elapsed = (Date.now() - started) / 1000;

  console.log('\nrequests by kind and status');
  let total = 0;
  for (const [kind, byStatus] of [...statuses].sort(([a], [b]) => a.localeCompare(b))) {
    const cells = [...byStatus].sort(([a], [b]) => a - b).map(([status, n]) => `${status}: ${n}`);
    total += [...byStatus.values()].reduce((a, b) => a + b, 0);
    console.log(`  ${kind.padEnd(30)} ${cells.join(', ')}`);
  }
  console.log(`  ${total} requests in ${elapsed.toFixed(0)} s (${(total / elapsed).toFixed(0)}/s)`);
  console.log(
    `DynamoDB calls: ${Object.entries(proxy.seen)
      .map(([op, f]) => `${op} ${f.pass + f.throttle + f.drop} (${f.throttle} throttled, ${f.drop} dropped)`)
      .join('; ')}`,
  );

  // Counted, as the evaluation reads them: every bucket of the run on every write shard.
  const { bucketColumns, readBucket, sortDeltas, UNBINNED, deltaId } = await import(
    '../functions/commons/telemetry/deltas.ts'
  );
  const { exactQuotient, readLimbs, exactValue } = await import('../functions/commons/telemetry/exact.ts');
  const telemetry = localTableNames().Telemetry;
  const counted = { predictions: 0, joined: 0, metrics: 0, metricSum: 0n, feedback: 0 };
  for (
    let minute = Math.floor(started / 60_000) * 60 - 60;
    minute * 1000 <= Date.now() + 60_000;
    minute += 60
  ) {
    for (const shard of [0, 1]) {
      const deltas = sortDeltas(await readBucket(telemetry, `PROFILE#${MODEL}#60#${minute}#${shard}`));
      for (const [key, n] of Object.entries(bucketColumns(deltas, 1).get('@prediction') ?? {})) {
        if (key.startsWith('c:') || key === 'miss') counted.predictions += n;
      }
      const unbinned = bucketColumns(deltas, UNBINNED);
      counted.joined += unbinned.get('@performance')?.n ?? 0;
      const latency = unbinned.get('@metric#latency_ns') ?? {};
      counted.metrics += latency.n ?? 0;
      counted.metricSum += readLimbs(latency, 'sum');
      counted.feedback += unbinned.get('@feedback')?.n ?? 0;
    }
  }
  // The daily totals (the KPI report's denominators), as the report reads them: every day
  // bucket of the run on every write shard.
  const dailyTotals = { predictions: 0, feedback: 0 };
  for (let day = Math.floor(started / 86400_000); day * 86400_000 <= Date.now(); day++) {
    for (const shard of [0, 1]) {
      const date = new Date(day * 86400_000).toISOString().slice(0, 10);
      const deltas = sortDeltas(await readBucket(telemetry, `TOTALS#${MODEL}#${date}#${shard}`));
      const totals = bucketColumns(deltas, UNBINNED).get('@totals') ?? {};
      dailyTotals.predictions += totals.predictions ?? 0;
      dailyTotals.feedback += totals.feedback ?? 0;
    }
  }

  // What 4xx requests left: their batch ids, prediction ids and delta keys must be nowhere.
  const client = localDynamoDbClient(dynalite.endpoint);
  const badDeltas = badMarkers.map((marker) => deltaId(marker));
  let leftovers = 0;
  let start: Record<string, never> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: telemetry, ExclusiveStartKey: start }));
    for (const raw of page.Items ?? []) {
      const item = unmarshall(raw);
      const key = `${item.pk} ${item.sk}`;
      if (key.includes('bad-') || badDeltas.some((id) => key.includes(id))) leftovers++;
    }
    start = page.LastEvaluatedKey as typeof start;
  } while (start);
  client.destroy();

  console.log(
    '\ncounted exactly once? (expected from 2xx answers; "unknown": records of 5xx without batchId)',
  );
  let lostTotal = 0;
  let doubleTotal = 0;
  const rows: [string, number, number, number][] = [
    ['predictions (window profiles)', expected.predictions, counted.predictions, unknown.predictions],
    ['actuals joined (performance)', expected.joined.size, counted.joined, 0],
    ['metric points', expected.metrics, counted.metrics, 0],
    ['feedback', expected.feedback, counted.feedback, unknown.feedback],
    ['predictions (daily totals)', expected.predictions, dailyTotals.predictions, unknown.predictions],
    ['feedback (daily totals)', expected.feedback, dailyTotals.feedback, unknown.feedback],
  ];
  for (const [name, want, got, allowance] of rows) {
    const lost = Math.max(0, want - got);
    const twice = Math.max(0, got - want - allowance);
    lostTotal += lost;
    doubleTotal += twice;
    console.log(
      `  ${name.padEnd(30)} expected ${want}, counted ${got}${allowance ? ` (unknown ${allowance})` : ''}: lost ${lost}, double counted ${twice}`,
    );
  }
  const sumExact = counted.metricSum === exactValue(1) * expected.metricSum;
  // The points are integers: their exact sum prints as one, anything else as the nearest double.
  const countedSum =
    counted.metricSum % exactValue(1) === 0n
      ? counted.metricSum / exactValue(1)
      : exactQuotient(counted.metricSum);
  console.log(
    `  metric sum                     expected ${expected.metricSum}, counted ${countedSum}: ${sumExact ? 'exact' : 'DIFFERENT'}`,
  );
  console.log(`  writes left by 4xx requests    ${leftovers} (of ${badMarkers.length} invalid requests)`);
  console.log(`lost: ${lostTotal}; double counted: ${doubleTotal}; 4xx writes: ${leftovers}`);
  if (lostTotal > 0 || doubleTotal > 0 || leftovers > 0 || !sumExact) process.exitCode = 1;
} finally {
  faults = false;
  await runtime.close();
  await proxy.close();
  await dynalite.close();
  await rm(dir, { recursive: true, force: true });
}
