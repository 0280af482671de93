import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvers } from '../support/api.ts';
import { startTestDynamoDb, type TestDynamoDb, useLocalDynamoDb } from '../support/dynalite.ts';

/**
 * The largest evaluation a model can produce fits in one item: 100 categorical features and a
 * classification, every name as long as allowed and made of characters JSON escapes (6 bytes
 * each), every list as long as an evaluation keeps it, every metric name and feedback category a
 * model may have, every threshold broken.
 */
describe('the largest evaluation', () => {
  let db: TestDynamoDb;

  beforeAll(async () => {
    db = await startTestDynamoDb();
    useLocalDynamoDb(db.endpoint, db.tableNames);
  });
  afterAll(async () => {
    await db.close();
  });

  it('is stored and read back under 400 KB', async () => {
    const { modelInputSchema } = await import('../../functions/commons/registry/schema.ts');
    const registry = await import('../../functions/commons/registry/store.ts');
    const { putBaseline } = await import('../../functions/commons/registry/baselines.ts');
    const ingest = await import('../../functions/commons/telemetry/ingest.ts');
    const { evaluateModel } = await import('../../functions/commons/evaluation/evaluate.ts');
    const { getEvaluation } = await import('../../functions/commons/evaluation/store.ts');

    // 256 characters, 6 bytes each in JSON (a control character), distinct by their prefix.
    const name = (prefix: string, i: number) => `${prefix}${i}`.padEnd(256, '\u0001');
    const features = Array.from({ length: 100 }, (_, i) => `f${i}`.padEnd(64, '_'));
    const metricName = (i: number) => `m${i}_`.padEnd(64, 'x');
    const input = modelInputSchema.parse({
      name: 'n'.repeat(200),
      owner: 'ml@example.com',
      task: 'classification',
      // Every data-quality check a categorical feature has, each failing.
      features: features.map((f) => ({
        name: f,
        type: 'categorical',
        quality: {
          allowed: ['a'],
          maxMissingShare: 0.123456789012345,
          maxNewCategoryShare: 0.123456789012345,
        },
      })),
      schedule: { every: 'PT1H', window: 'PT1H', minSamples: 1, extendUntilMinSamples: 'PT2H' },
      reference: { lag: 'P7D' },
      thresholds: {
        performance: Object.fromEntries(
          Array.from({ length: 50 }, (_, i) => [metricName(i), { min: 1e15 + 0.5, maxRelativeDrop: 0.5 }]),
        ),
      },
      approvers,
      groundTruth: { lookbackDays: 1 },
    });
    await registry.putModel('largest', input);
    const row = (prefix: string, i: number) => ({
      features: Object.fromEntries(features.map((f, c) => [f, name(`${prefix}${c}-`, i)])),
      prediction: name('label', i),
    });
    // 30 distinct categories per column on each side: more new and missing ones than an evaluation lists.
    const reference = Array.from({ length: 30 }, (_, i) => row('r', i));
    await putBaseline(await registry.loadModel('largest'), { records: reference, metrics: {} });
    const model = await registry.loadModel('largest');
    const records = Array.from({ length: 30 }, (_, i) => ({
      ...row('w', i),
      predictionId: `p${i}`,
      prediction: name('label', i),
    }));
    await ingest.ingestPredictions(model, { records });
    // The same a week earlier: every column has its lagged comparison.
    const weekAgo = Date.now() - 7 * 86400_000;
    await ingest.ingestPredictions(model, {
      records: Array.from({ length: 30 }, (_, i) => ({ ...row('w', i), timestamp: weekAgo })),
    });
    await ingest.ingestActuals(model, {
      records: records.map((r, i) => ({ predictionId: r.predictionId, actual: name('label', (i + 1) % 30) })),
    });
    await ingest.ingestMetrics(model, {
      records: Array.from({ length: 100 }, (_, i) => ({ name: metricName(i), value: 1 / 3 })),
    });
    for (let i = 0; i < 50; i++) {
      await ingest.ingestFeedback(model, { category: `c${i}-`.padEnd(32, 'x'), message: 'm' }, {});
    }

    const evaluation = await evaluateModel(model, { end: new Date(), trigger: 'manual' });

    expect(evaluation.status).toBe('breach');
    expect(evaluation.drift.columns).toHaveLength(100);
    const column = evaluation.drift.columns[0];
    expect(column?.type === 'categorical' && column.stats?.newCategoryCount).toBe(30);
    expect(evaluation.performance.fromActuals.classCount).toBe(30);
    expect(Object.keys(evaluation.performance.points)).toHaveLength(100);
    expect(Object.keys(evaluation.complaints.byCategory)).toHaveLength(50);
    expect(evaluation.performance.checks.filter((c) => c.ok === false)).toHaveLength(50);
    expect(evaluation.reference?.applied).toBe(true);
    expect(evaluation.window).toBeDefined();
    expect(evaluation.quality).toHaveLength(300);
    const { Item } = await db.client.send(
      new GetItemCommand({
        TableName: db.tableNames.Governance,
        Key: { pk: { S: `EVAL#${evaluation.evaluationId}` }, sk: { S: '#EVAL' } },
      }),
    );
    const bytes = Buffer.byteLength(Item?.data?.S ?? '');
    // 328,223 bytes when measured, with the data-quality checks, a seasonal reference and an
    // extendable window (the fdr rule's adjusted p-values, which a seasonal reference excludes,
    // take less than its ~15 KB). Segments (at most SEGMENT_BYTES), served versions and estimated
    // performance come on top of it ("Item sizes" in docs/architecture.md).
    expect(bytes).toBeLessThan(330 * 1024);
    expect(await getEvaluation(evaluation.evaluationId)).toEqual(evaluation);
  });
});
