import { DeleteItemCommand, GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { approvers } from '../support/api.ts';
import { countingDeltas } from '../support/deltas.ts';
import { startTestDynamoDb, type TestDynamoDb, useLocalDynamoDb } from '../support/dynalite.ts';
import { type Fault, type FaultyDynamoDb, startFaultyDynamoDb } from '../support/faulty-dynamodb.ts';

/**
 * Ingestion against a DynamoDB that throttles, leaves batch items unprocessed and fails: every
 * accepted record is still counted exactly once.
 */
describe('ingestion under throttling and partial failures', () => {
  let db: TestDynamoDb;
  let proxy: FaultyDynamoDb;
  let fault: (operation: string, n: number, body: string) => Fault = () => 'pass';
  let ingest: typeof import('../../functions/commons/telemetry/ingest.ts');
  let registry: typeof import('../../functions/commons/registry/store.ts');
  let baselines: typeof import('../../functions/commons/registry/baselines.ts');
  let schema: typeof import('../../functions/commons/registry/schema.ts');

  beforeAll(async () => {
    db = await startTestDynamoDb();
    proxy = await startFaultyDynamoDb(db.endpoint, (operation, n, body) => fault(operation, n, body));
    useLocalDynamoDb(proxy.endpoint, db.tableNames);
  });
  // A fresh execution environment per test, as Lambda would have after a cold start: the SDK's
  // retry quota is per client, and the failures these tests inject on purpose would otherwise
  // spend it, so that a later test's dropped connection is no longer retried.
  beforeEach(async () => {
    vi.resetModules();
    ingest = await import('../../functions/commons/telemetry/ingest.ts');
    registry = await import('../../functions/commons/registry/store.ts');
    baselines = await import('../../functions/commons/registry/baselines.ts');
    schema = await import('../../functions/commons/registry/schema.ts');
  });
  afterAll(async () => {
    await proxy.close();
    await db.close();
  });

  async function registerModel(modelId: string, extra: Record<string, unknown> = {}) {
    const input = schema.modelInputSchema.parse({
      ...extra,
      name: modelId,
      owner: 'ml@example.com',
      task: 'classification',
      features: Array.from({ length: 12 }, (_, i) => ({
        name: `f${i}`,
        type: i < 10 ? 'numerical' : 'categorical',
      })),
      approvers,
      groundTruth: { lookbackDays: 3 },
    });
    await registry.putModel(modelId, input);
    const model = await registry.loadModel(modelId);
    const reference = Array.from({ length: 500 }, (_, r) => ({
      features: Object.fromEntries(
        Array.from({ length: 12 }, (_, i) => [
          `f${i}`,
          i < 10 ? (r * (i + 3)) % 97 : ['a', 'b', 'c'][(r + i) % 3],
        ]),
      ),
      prediction: r % 2 ? 'yes' : 'no',
    }));
    await baselines.putBaseline(model, { records: reference, metrics: {} });
    return registry.loadModel(modelId);
  }

  function batch(n: number, prefix: string) {
    const value = (r: number, i: number): number | string =>
      i < 10 ? (r * (i + 5)) % 113 : `c${(r + i) % 3}`;
    return Array.from({ length: n }, (_, r) => ({
      predictionId: `${prefix}-${r}`,
      features: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i}`, value(r, i)])),
      prediction: r % 3 ? 'yes' : 'no',
    }));
  }

  async function items(modelId: string) {
    const client = db.client;
    const all: Record<string, unknown>[] = [];
    let start: Record<string, never> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({ TableName: db.tableNames.Telemetry, ExclusiveStartKey: start }),
      );
      for (const item of page.Items ?? []) all.push(unmarshall(item));
      start = page.LastEvaluatedKey as typeof start;
    } while (start);
    return all.filter((item) => String(item.pk).includes(`#${modelId}#`));
  }

  /** Per column, the values counted: categories and missing (categorical) or sketch bins and missing (numerical). */
  async function countsPerColumn(modelId: string): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const delta of await countingDeltas(await items(modelId))) {
      for (const [column, counters] of Object.entries(delta)) {
        for (const [name, value] of Object.entries(counters)) {
          if (/^(c:|s\d+$|miss$)/.test(name)) out[column] = (out[column] ?? 0) + value;
        }
      }
    }
    return out;
  }

  // First: the SDK's retry quota (shared by the file's tests, drained by writes that fail for
  // good) is full, so every dropped write is retried.
  it('counts the daily totals once when connections drop after DynamoDB applied their writes', async () => {
    const model = await registerModel('totals-dropped');
    const kpi = await import('../../functions/commons/reports/kpi.ts');
    const window = await import('../../functions/commons/evaluation/window.ts');
    // The first attempt of every write to the day's totals is applied, then its connection dropped.
    const sent = new Set<string>();
    fault = (operation, _n, body) => {
      if (!['PutItem', 'UpdateItem', 'BatchWriteItem'].includes(operation) || !body.includes('TOTALS#'))
        return 'pass';
      if (sent.has(body)) return 'pass';
      sent.add(body);
      return 'drop';
    };
    await ingest.ingestPredictions(model, { batchId: 't-1', records: batch(40, 't1') });
    await ingest.ingestPredictions(model, { records: batch(25, 't2') });
    for (const category of ['complaint', 'complaint', 'query']) {
      await ingest.ingestFeedback(model, { category, message: 'wrong' }, {});
    }
    fault = () => 'pass';
    expect(sent.size).toBeGreaterThan(0);

    const today = new Date().toISOString().slice(0, 10);
    // The day's totals as earlier versions kept them (one ADD item per day and shard) still count.
    await db.client.send(
      new PutItemCommand({
        TableName: db.tableNames.Telemetry,
        Item: marshall({
          pk: 'TOTALS#totals-dropped#0',
          sk: `DAY#${today}`,
          predictions: 10,
          feedback: 1,
          'feedback:query': 1,
        }),
      }),
    );
    const report = async () =>
      (await kpi.kpiReport(model, `${today}T00:00:00.000Z`, new Date().toISOString())).userFeedback;
    const expected = {
      count: 4,
      byCategory: { complaint: 2, query: 2 },
      predictions: 75,
      perThousandPredictions: (4 / 75) * 1000,
    };
    expect(await report()).toEqual(expected);

    // The scheduled compaction of the day once it has closed merges its deltas; the totals stay.
    await window.compactRecentBuckets(model, new Date(Date.parse(today) + 86400_000 + 60_000));
    const day = (await items('totals-dropped')).filter((item) => String(item.pk).startsWith('TOTALS#'));
    const merged = day.filter((item) => String(item.sk).includes('~'));
    expect(merged).toHaveLength(1);
    // Kept as long as the table, as the totals always were: no TTL.
    expect(merged[0]?.expiresAt).toBeUndefined();
    expect(await report()).toEqual(expected);
  });

  it('retries throttled writes and unprocessed batch items until every record is written once', async () => {
    const model = await registerModel('throttled');
    // Calls are numbered from here, per operation, so that what registration wrote before does
    // not decide which of the batch's own writes meet a fault.
    const calls = new Map<string, number>();
    fault = (operation) => {
      const n = (calls.get(operation) ?? 0) + 1;
      calls.set(operation, n);
      // Every other write is throttled, the first included: each kind of write meets at least one.
      if ((operation === 'UpdateItem' || operation === 'PutItem') && n % 2 === 1) return 'throttle';
      // The deltas and the raw predictions go in BatchWriteItems: throttled, half unprocessed, or through.
      if (operation === 'BatchWriteItem')
        return (['throttle', 'unprocessed', 'pass'] as const)[n % 3] ?? 'pass';
      return 'pass';
    };

    const result = await ingest.ingestPredictions(model, { batchId: 'b-1', records: batch(200, 't') });
    fault = () => 'pass';

    expect(result).toEqual({ accepted: 200 });
    expect(proxy.seen.UpdateItem?.throttle).toBeGreaterThan(0);
    expect(proxy.seen.BatchWriteItem?.throttle).toBeGreaterThan(0);
    expect(proxy.seen.BatchWriteItem?.unprocessed).toBeGreaterThan(0);
    const counts = await countsPerColumn('throttled');
    expect(Object.keys(counts).sort()).toEqual(
      ['@prediction', ...Array.from({ length: 12 }, (_, i) => `f${i}`)].sort(),
    );
    for (const value of Object.values(counts)) expect(value).toBe(200);
    const stored = (await items('throttled')).filter((item) => String(item.pk).startsWith('PRED#'));
    expect(stored).toHaveLength(200);
  });

  it('resumes a batch that failed half way without counting any of it twice', async () => {
    const model = await registerModel('resumed');
    // Every write of the raw predictions kept for the ground-truth join fails for good, beyond
    // the SDK's retries, while the window delta and the totals go through.
    fault = (operation, _n, body) =>
      operation === 'BatchWriteItem' && body.includes('PRED#') ? 'fail' : 'pass';
    const records = batch(150, 'r');

    await expect(ingest.ingestPredictions(model, { batchId: 'b-2', records })).rejects.toThrow();
    const partial = await countsPerColumn('resumed');
    expect(Object.keys(partial)).toHaveLength(13);
    expect((await items('resumed')).filter((item) => String(item.pk).startsWith('PRED#'))).toHaveLength(0);

    fault = () => 'pass';
    const retried = await ingest.ingestPredictions(model, { batchId: 'b-2', records });
    const replayed = await ingest.ingestPredictions(model, { batchId: 'b-2', records });

    expect(retried).toEqual({ accepted: 150 });
    expect(replayed).toEqual({ accepted: 150, replayed: true });
    const counts = await countsPerColumn('resumed');
    expect(Object.keys(counts)).toHaveLength(13);
    for (const value of Object.values(counts)) expect(value).toBe(150);
    expect((await items('resumed')).filter((item) => String(item.pk).startsWith('PRED#'))).toHaveLength(150);
    const totals = await countingDeltas(await items('resumed'), 'TOTALS#');
    expect(totals.reduce((sum, delta) => sum + (delta['@totals']?.predictions ?? 0), 0)).toBe(150);
    const ledger = await db.client.send(
      new GetItemCommand({
        TableName: db.tableNames.Telemetry,
        Key: { pk: { S: 'BATCH#resumed#predictions#b-2' }, sk: { S: '#' } },
      }),
    );
    expect(ledger.Item?.status).toEqual({ S: 'done' });
  });

  /** Performance counters of the window deltas that count: joined actuals per confusion cell and in all. */
  async function performance(modelId: string): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const delta of await countingDeltas(await items(modelId))) {
      for (const [name, value] of Object.entries(delta['@performance'] ?? {}))
        out[name] = (out[name] ?? 0) + value;
    }
    return out;
  }

  const actualsOf = (n: number, prefix: string) =>
    Array.from({ length: n }, (_, r) => ({ predictionId: `${prefix}-${r}`, actual: r % 2 ? 'yes' : 'no' }));

  it('resumes an actuals batch that failed after its joins, to exact counts, and replays it', async () => {
    const model = await registerModel('actuals-resumed');
    await ingest.ingestPredictions(model, { batchId: 'p', records: batch(120, 'a') });
    // The joins go through; every write of the performance delta fails for good.
    fault = (operation, _n, body) =>
      ['PutItem', 'BatchWriteItem'].includes(operation) && body.includes('delta#0#') ? 'fail' : 'pass';
    const records = [...actualsOf(100, 'a'), { predictionId: 'unknown', actual: 'yes' }];

    await expect(ingest.ingestActuals(model, { batchId: 'g-1', records })).rejects.toThrow();
    const joined = (await items('actuals-resumed')).filter((item) => item.actual !== undefined);
    expect(joined).toHaveLength(100);
    expect(await performance('actuals-resumed')).toEqual({});

    fault = () => 'pass';
    const retried = await ingest.ingestActuals(model, { batchId: 'g-1', records });
    const replayed = await ingest.ingestActuals(model, { batchId: 'g-1', records });
    // Another batch with the same actuals matches them but counts none again.
    const again = await ingest.ingestActuals(model, { batchId: 'g-2', records });

    expect(retried).toEqual({ matched: 100, unmatched: 1 });
    expect(replayed).toEqual({ matched: 100, unmatched: 1, replayed: true });
    expect(again).toEqual({ matched: 100, unmatched: 1 });
    const counts = await performance('actuals-resumed');
    expect(counts.n).toBe(100);
    // Predictions r % 3 ? 'yes' : 'no' against actuals r % 2 ? 'yes' : 'no', for r < 100.
    const cell = (actual: string, predicted: string) =>
      Array.from({ length: 100 }, (_, r) => r).filter(
        (r) => (r % 2 ? 'yes' : 'no') === actual && (r % 3 ? 'yes' : 'no') === predicted,
      ).length;
    // Per class: actual, predicted and both (the baseline tracks both labels).
    expect(counts['tp:yes']).toBe(cell('yes', 'yes'));
    expect(counts['a:no']).toBe(cell('no', 'yes') + cell('no', 'no'));
    expect(counts['p:yes']).toBe(cell('yes', 'yes') + cell('no', 'yes'));
    expect(counts.correct).toBe(cell('yes', 'yes') + cell('no', 'no'));
  });

  it('keeps an actuals batch without an id retryable too: the same content resumes it', async () => {
    const model = await registerModel('actuals-unnamed');
    await ingest.ingestPredictions(model, { records: batch(40, 'u') });
    fault = (operation, _n, body) =>
      ['PutItem', 'BatchWriteItem'].includes(operation) && body.includes('delta#0#') ? 'fail' : 'pass';
    const records = actualsOf(40, 'u');
    await expect(ingest.ingestActuals(model, { records })).rejects.toThrow();
    fault = () => 'pass';
    expect(await ingest.ingestActuals(model, { records })).toEqual({ matched: 40, unmatched: 0 });
    // Sent again once done: matched again, counted once.
    expect(await ingest.ingestActuals(model, { records })).toEqual({ matched: 40, unmatched: 0 });
    expect((await performance('actuals-unnamed')).n).toBe(40);
  });

  it('counts every record once when connections drop after DynamoDB applied the write', async () => {
    const model = await registerModel('dropped');
    // Every write is applied and then its connection dropped, once: the SDK retries it. (Dropping
    // by a global count instead would, with concurrent writes, sometimes drop every attempt of one.)
    const dropped = new Set<string>();
    fault = (operation, _n, body) => {
      if (!['PutItem', 'UpdateItem', 'BatchWriteItem'].includes(operation) || dropped.has(body))
        return 'pass';
      dropped.add(body);
      return 'drop';
    };
    const predictions = await ingest.ingestPredictions(model, { batchId: 'd-1', records: batch(60, 'd') });
    const actuals = await ingest.ingestActuals(model, { batchId: 'd-a', records: actualsOf(60, 'd') });
    const metrics = await ingest.ingestMetrics(model, {
      records: [
        { name: 'latency', value: 1.5 },
        { name: 'latency', value: 2.5 },
      ],
    });
    fault = () => 'pass';

    expect(predictions).toEqual({ accepted: 60 });
    expect(actuals).toEqual({ matched: 60, unmatched: 0 });
    expect(metrics).toEqual({ accepted: 2 });
    expect(proxy.seen.PutItem?.drop).toBeGreaterThan(0);
    expect(proxy.seen.UpdateItem?.drop).toBeGreaterThan(0);
    for (const value of Object.values(await countsPerColumn('dropped'))) expect(value).toBe(60);
    expect((await performance('dropped')).n).toBe(60);
    const latency = (await countingDeltas(await items('dropped'))).reduce(
      (n, delta) => n + (delta['@metric#latency']?.n ?? 0),
      0,
    );
    expect(latency).toBe(2);
  });

  /** The model's stored feedback items and the feedback counted in its window deltas and daily totals. */
  async function feedbackOf(modelId: string) {
    const page = await db.client.send(new ScanCommand({ TableName: db.tableNames.Governance }));
    const stored = (page.Items ?? [])
      .map((item) => unmarshall(item))
      .filter((item) => item.pk === `FEEDBACK#${modelId}`);
    const counted = (await countingDeltas(await items(modelId))).reduce(
      (n, delta) => n + (delta['@feedback']?.n ?? 0),
      0,
    );
    const totals = (await countingDeltas(await items(modelId), 'TOTALS#')).reduce(
      (n, delta) => n + (delta['@totals']?.feedback ?? 0),
      0,
    );
    return { stored, counted, totals };
  }

  it('counts feedback with a batch id once: a replay answers the first answer, other content 422', async () => {
    const model = await registerModel('feedback-replay');
    const feedback = { batchId: 'fb-1', category: 'complaint', message: 'wrong answer' };
    const first = await ingest.ingestFeedback(model, feedback, {});
    const replayed = await ingest.ingestFeedback(model, feedback, {});
    const reused = await ingest
      .ingestFeedback(model, { ...feedback, message: 'another answer' }, {})
      .catch((error: unknown) => error);

    expect(replayed).toEqual({ ...first, replayed: true });
    expect(reused).toMatchObject({ statusCode: 422, code: 'idempotency_key_reused' });
    const { stored, counted, totals } = await feedbackOf('feedback-replay');
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ feedbackId: first.feedbackId, message: 'wrong answer' });
    expect(stored[0]?.batchId).toBeUndefined();
    expect(counted).toBe(1);
    expect(totals).toBe(1);
  });

  it('counts feedback once when its write was applied but the connection dropped, and the client retried', async () => {
    const model = await registerModel('feedback-dropped');
    // The feedback item is written, but every answer is lost: the request fails after the write.
    fault = (operation, _n, body) =>
      operation === 'PutItem' && body.includes('FEEDBACK#') ? 'drop' : 'pass';
    const feedback = { batchId: 'fb-2', category: 'complaint', message: 'slow' };
    await expect(ingest.ingestFeedback(model, feedback, {})).rejects.toThrow();
    expect(proxy.seen.PutItem?.drop).toBeGreaterThan(0);
    expect((await feedbackOf('feedback-dropped')).stored).toHaveLength(1);
    fault = () => 'pass';

    const retried = await ingest.ingestFeedback(model, feedback, {});

    const { stored, counted, totals } = await feedbackOf('feedback-dropped');
    expect(stored).toHaveLength(1);
    expect(stored[0]?.feedbackId).toBe(retried.feedbackId);
    expect(counted).toBe(1);
    expect(totals).toBe(1);
  });

  it('writes the window delta and day totals of a batch in one request, and resumes with conditional puts', async () => {
    const model = await registerModel('one-request');
    const records = batch(60, 'o').map(({ predictionId: _id, ...record }) => record);
    const writes: { operation: string; body: string }[] = [];
    fault = (operation, _n, body) => {
      if (['PutItem', 'BatchWriteItem', 'UpdateItem'].includes(operation)) writes.push({ operation, body });
      return 'pass';
    };
    await ingest.ingestPredictions(model, { records });
    expect(writes.map((w) => w.operation)).toEqual(['BatchWriteItem']);
    expect(writes[0]?.body).toContain('PROFILE#one-request#');
    expect(writes[0]?.body).toContain('TOTALS#one-request#');

    // A batch with an id whose first attempt fails: its retry finds the ledger's claim and writes
    // each delta item with a conditional put, which keeps whatever an earlier attempt wrote.
    writes.length = 0;
    fault = (operation, _n, body) => {
      if (operation === 'BatchWriteItem' && body.includes('TOTALS#')) return 'fail';
      if (['PutItem', 'BatchWriteItem'].includes(operation)) writes.push({ operation, body });
      return 'pass';
    };
    await expect(ingest.ingestPredictions(model, { batchId: 'o-1', records })).rejects.toThrow();
    fault = (operation, _n, body) => {
      if (['PutItem', 'BatchWriteItem'].includes(operation)) writes.push({ operation, body });
      return 'pass';
    };
    expect(await ingest.ingestPredictions(model, { batchId: 'o-1', records })).toEqual({ accepted: 60 });
    fault = () => 'pass';
    const deltaPuts = writes.filter((w) => w.body.includes('delta#'));
    expect(deltaPuts.map((w) => w.operation)).toEqual(['PutItem', 'PutItem']);
    for (const put of deltaPuts) expect(put.body).toContain('attribute_not_exists(pk)');

    const counts = await countsPerColumn('one-request');
    expect(Object.keys(counts)).toHaveLength(13);
    for (const value of Object.values(counts)) expect(value).toBe(120);
    const totals = await countingDeltas(await items('one-request'), 'TOTALS#');
    expect(totals.reduce((sum, delta) => sum + (delta['@totals']?.predictions ?? 0), 0)).toBe(120);
  });

  it('counts a batch id used again once the ledger forgot it as a new batch', async () => {
    const model = await registerModel('forgotten');
    await ingest.ingestPredictions(model, { batchId: 'daily', records: batch(30, 'f1') });
    // The ledger item expires after 7 days (TTL); the next day's batch reuses the id.
    await db.client.send(
      new DeleteItemCommand({
        TableName: db.tableNames.Telemetry,
        Key: { pk: { S: 'BATCH#forgotten#predictions#daily' }, sk: { S: '#' } },
      }),
    );
    expect(await ingest.ingestPredictions(model, { batchId: 'daily', records: batch(20, 'f2') })).toEqual({
      accepted: 20,
    });
    for (const value of Object.values(await countsPerColumn('forgotten'))) expect(value).toBe(50);
  });

  it('resumes a batch on the write shard and in the bucket it started in, even after a crash that recorded nothing', async () => {
    const sharded = await registerModel('sharded', { writeShards: 8 });
    const single = await registerModel('one-shard');
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      // Records without a timestamp are counted at the time the batch was first received, not
      // in the bucket of the retry a minute later.
      for (const [target, id] of [
        [sharded, 's-1'],
        [sharded, 's-2'],
        [sharded, 's-3'],
        [single, 's-4'],
      ] as const) {
        // The window delta goes through; the raw predictions fail, and so does the ledger's
        // release, as if the function had died: the retry, after the lease, knows nothing of what
        // was applied and must write the delta again under the same key, on the same shard.
        fault = (operation, _n, body) =>
          operation === 'BatchWriteItem' || body.includes('leaseUntil = :zero') ? 'fail' : 'pass';
        await expect(
          ingest.ingestPredictions(target, { batchId: id, records: batch(10, id) }),
        ).rejects.toThrow();
        fault = () => 'pass';
        vi.setSystemTime(Date.now() + 61_000);
        expect(await ingest.ingestPredictions(target, { batchId: id, records: batch(10, id) })).toEqual({
          accepted: 10,
        });
      }
    } finally {
      vi.useRealTimers();
    }
    for (const value of Object.values(await countsPerColumn('sharded'))) expect(value).toBe(30);
    for (const value of Object.values(await countsPerColumn('one-shard'))) expect(value).toBe(10);
  });

  it('compacts a bucket whose lease was taken on a call that dropped after DynamoDB applied it', async () => {
    const model = await registerModel('lease');
    await ingest.ingestPredictions(model, { batchId: 'l-1', records: batch(10, 'l1') });
    await ingest.ingestPredictions(model, { batchId: 'l-2', records: batch(10, 'l2') });
    const { compactBucket, readBucket, sortDeltas } = await import(
      '../../functions/commons/telemetry/deltas.ts'
    );
    const pk = String((await items('lease')).find((item) => String(item.pk).startsWith('PROFILE#'))?.pk);
    let dropped = 0;
    fault = (operation, _n, body) =>
      operation === 'UpdateItem' && body.includes('compaction#lease') && dropped++ === 0 ? 'drop' : 'pass';
    const compacted = await compactBucket(
      db.tableNames.Telemetry,
      pk,
      sortDeltas(await readBucket(db.tableNames.Telemetry, pk)),
    );
    fault = () => 'pass';

    expect(dropped).toBeGreaterThan(0);
    expect(compacted).toBe(true);
    const after = sortDeltas(await readBucket(db.tableNames.Telemetry, pk));
    expect(after.live.map((delta) => delta.merged)).toEqual([true]);
    for (const value of Object.values(await countsPerColumn('lease'))) expect(value).toBe(20);
  });
});
