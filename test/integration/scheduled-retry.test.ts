import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvers } from '../support/api.ts';
import { startTestDynamoDb, type TestDynamoDb, useLocalDynamoDb } from '../support/dynalite.ts';
import { type FaultyDynamoDb, startFaultyDynamoDb } from '../support/faulty-dynamodb.ts';

/**
 * The scheduled run of a model is recorded only once its evaluation is stored: a run that fails
 * leaves the model due, and the next tick evaluates it; overlapping invocations evaluate it once.
 */
describe('scheduled evaluations that fail', () => {
  let db: TestDynamoDb;
  let proxy: FaultyDynamoDb;
  let failEvaluationWrites = false;
  let failUnapprovedLockReads = false;
  let schedule: typeof import('../../functions/commons/evaluation/schedule.ts');
  let store: typeof import('../../functions/commons/evaluation/store.ts');
  let registry: typeof import('../../functions/commons/registry/store.ts');

  beforeAll(async () => {
    db = await startTestDynamoDb();
    proxy = await startFaultyDynamoDb(db.endpoint, (operation, _n, body) =>
      (failEvaluationWrites && operation === 'PutItem' && body.includes('"#EVAL"')) ||
      (failUnapprovedLockReads &&
        operation === 'GetItem' &&
        body.includes('OPEN_INCIDENT#unapproved_version'))
        ? 'fail'
        : 'pass',
    );
    useLocalDynamoDb(proxy.endpoint, db.tableNames);
    // A breach's alert carries signed links to the incident and the report.
    process.env.VIGIL_SIGNING_SECRET = 'test-secret';
    schedule = await import('../../functions/commons/evaluation/schedule.ts');
    store = await import('../../functions/commons/evaluation/store.ts');
    registry = await import('../../functions/commons/registry/store.ts');
  });
  afterAll(async () => {
    await proxy.close();
    await db.close();
  });

  async function registerModel(modelId: string) {
    const { modelInputSchema } = await import('../../functions/commons/registry/schema.ts');
    const { putBaseline } = await import('../../functions/commons/registry/baselines.ts');
    const input = modelInputSchema.parse({
      name: modelId,
      owner: 'ml@example.com',
      task: 'classification',
      features: [{ name: 'x', type: 'numerical' }],
      schedule: { every: 'PT1H', window: 'PT1H', minSamples: 10 },
      approvers,
    });
    await registry.putModel(modelId, input);
    const records = Array.from({ length: 20 }, (_, i) => ({ features: { x: i }, prediction: 'yes' }));
    await putBaseline(await registry.loadModel(modelId), { records, metrics: {} });
  }

  const runOf = (runs: { modelId: string }[], modelId: string) => runs.filter((r) => r.modelId === modelId);

  it('evaluates a model whose run failed again on the next tick, and then not before it is due', async () => {
    await registerModel('flaky');
    const now = Date.now();

    failEvaluationWrites = true;
    const failed = await schedule.runScheduledEvaluations(new Date(now));
    failEvaluationWrites = false;
    const retried = await schedule.runScheduledEvaluations(new Date(now + 60_000));
    const done = await schedule.runScheduledEvaluations(new Date(now + 120_000));

    expect(runOf(failed, 'flaky')).toEqual([{ modelId: 'flaky', error: expect.any(String) }]);
    expect(runOf(retried, 'flaky')).toEqual([expect.objectContaining({ status: 'insufficient_data' })]);
    expect(runOf(done, 'flaky')).toEqual([]);
    expect(await store.listEvaluations('flaky')).toHaveLength(1);
  });

  it("records the run when the check of the model's unapproved-version incident fails: the next run checks again", async () => {
    await registerModel('unchecked');
    const now = Date.now() + 9 * 3600_000;

    const failedReads = proxy.seen.GetItem?.fail ?? 0;
    failUnapprovedLockReads = true;
    const checkFailed = await schedule.runScheduledEvaluations(new Date(now));
    failUnapprovedLockReads = false;
    expect(proxy.seen.GetItem?.fail ?? 0).toBeGreaterThan(failedReads);
    const next = await schedule.runScheduledEvaluations(new Date(now + 60_000));

    // The evaluation is stored and its run recorded: the model is not due again a minute later.
    expect(runOf(checkFailed, 'unchecked')).toEqual([
      expect.objectContaining({ status: 'insufficient_data', evaluationId: expect.any(String) }),
    ]);
    expect(runOf(checkFailed, 'unchecked')[0]).not.toHaveProperty('error');
    expect(runOf(next, 'unchecked')).toEqual([]);
    expect(await store.listEvaluations('unchecked')).toHaveLength(1);
  });

  it('evaluates a model once when invocations overlap', async () => {
    await registerModel('busy');
    const now = new Date(Date.now() + 3 * 3600_000);

    const [first, second] = await Promise.all([
      schedule.runScheduledEvaluations(now),
      schedule.runScheduledEvaluations(now),
    ]);

    expect([...runOf(first, 'busy'), ...runOf(second, 'busy')]).toHaveLength(1);
    expect(await store.listEvaluations('busy')).toHaveLength(1);
  });

  it('lets another invocation take over a run whose invocation died, once its lease has run out', async () => {
    await registerModel('orphan');
    const now = Date.now() + 6 * 3600_000;

    const claim = await store.claimScheduledRun('orphan', new Date(now), 3600);
    // The invocation holding the claim dies without completing or releasing it.
    const meanwhile = await store.claimScheduledRun('orphan', new Date(now + 60_000), 3600);
    const afterLease = await store.claimScheduledRun('orphan', new Date(now + 16 * 60_000), 3600);

    expect(claim).toEqual(expect.any(String));
    expect(meanwhile).toBeUndefined();
    expect(afterLease).toEqual(expect.any(String));
  });
});
