import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvers, startTestApi, type TestApi } from '../support/api.ts';

/**
 * The limit of registered models (`MAX_MODELS`), enforced where models enter: a count item taken
 * by a conditional increment before a new model is written, so the scheduled evaluation never
 * finds more models than it reads. The store's bound is a parameter, so a small one stands in.
 */
describe('the limit of registered models', () => {
  let api: TestApi;
  let registry: typeof import('../../functions/commons/registry/store.ts');
  let schema: typeof import('../../functions/commons/registry/schema.ts');
  let keys: typeof import('../../functions/commons/registry/keys.ts').governanceKeys;
  let dynamoDb: typeof import('../../functions/commons/clients/dynamodb.ts').dynamoDb;
  let table: string;

  const body = (modelId: string) => ({
    name: modelId,
    owner: 'ml@example.com',
    task: 'classification',
    features: [{ name: 'x', type: 'numerical' }],
    schedule: { every: 'PT1H', window: 'PT1H', minSamples: 10 },
    approvers,
  });
  const register = (modelId: string, max?: number) =>
    registry.putModel(modelId, schema.modelInputSchema.parse(body(modelId)), max);
  /** What the count item says. */
  const counted = async () => {
    const { Item } = await dynamoDb.send(
      new GetCommand({ TableName: table, Key: keys.modelCount, ConsistentRead: true }),
    );
    return Item?.models as number | undefined;
  };
  /** The models the model index lists. */
  const listed = async () => (await registry.listFirstModels()).models.map((model) => model.modelId);

  beforeAll(async () => {
    api = await startTestApi();
    registry = await import('../../functions/commons/registry/store.ts');
    schema = await import('../../functions/commons/registry/schema.ts');
    keys = (await import('../../functions/commons/registry/keys.ts')).governanceKeys;
    dynamoDb = (await import('../../functions/commons/clients/dynamodb.ts')).dynamoDb;
    table = process.env.GOVERNANCE_TABLE as string;
  });
  afterAll(async () => {
    await api?.close();
  });

  it('counts the models registered before the count existed on the first registration after them', async () => {
    for (const modelId of ['before-1', 'before-2', 'before-3']) await register(modelId);
    expect(await counted()).toBe(3);
    // A deployment from before the count item: its models, and no count.
    await dynamoDb.send(new DeleteCommand({ TableName: table, Key: keys.modelCount }));

    await register('after-1');
    expect(await counted()).toBe(4);
    expect(await listed()).toHaveLength(4);
  });

  it('refuses a new model past the limit with a 409 that says it, and writes nothing', async () => {
    const max = (await listed()).length + 2;
    expect((await register('fill-1', max)).created).toBe(true);
    expect((await register('fill-2', max)).created).toBe(true);
    const before = await api.snapshot();

    const refused = register('one-too-many', max);
    await expect(refused).rejects.toMatchObject({
      statusCode: 409,
      code: 'limit_reached',
      message: `Vigil registers at most ${max} models`,
      issues: [{ path: 'modelId', message: `${max} models are registered: a new one is refused` }],
    });
    expect(await api.snapshot()).toBe(before);
    expect(await counted()).toBe(max);

    // A registered model is still updated at the limit; it takes no other place.
    const updated = await registry.putModel(
      'fill-1',
      schema.modelInputSchema.parse({ ...body('fill-1'), name: 'renamed' }),
      max,
    );
    expect(updated).toMatchObject({
      created: false,
      model: { name: 'renamed' },
      previous: { name: 'fill-1' },
    });
    expect(await counted()).toBe(max);
  });

  it('answers a registration past the limit over HTTP with the JSON error, and still updates a model', async () => {
    const count = await counted();
    // 10,000 models are registered, as far as the count item knows.
    await dynamoDb.send(
      new PutCommand({ TableName: table, Item: { ...keys.modelCount, models: registry.MAX_MODELS } }),
    );
    try {
      const before = await api.snapshot();
      const refused = await api.call('PUT', '/v1/models/past-the-limit', { body: body('past-the-limit') });
      expect(refused.status).toBe(409);
      expect(refused.body).toEqual({
        error: {
          code: 'limit_reached',
          message: 'Vigil registers at most 10000 models',
          issues: [{ path: 'modelId', message: '10000 models are registered: a new one is refused' }],
        },
      });
      expect(await api.snapshot()).toBe(before);

      const update = await api.call('PUT', '/v1/models/before-1', {
        body: { ...body('before-1'), name: 'kept' },
      });
      expect(update.status).toBe(200);
      expect(update.body.name).toBe('kept');
    } finally {
      await dynamoDb.send(new PutCommand({ TableName: table, Item: { ...keys.modelCount, models: count } }));
    }
  });

  it('never lets concurrent registrations pass the limit together', async () => {
    const max = (await listed()).length + 3;
    const ids = Array.from({ length: 10 }, (_, i) => `race-${i}`);

    const outcomes = await Promise.allSettled(ids.map((modelId) => register(modelId, max)));

    const created = outcomes.filter((o) => o.status === 'fulfilled' && o.value.created);
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(created).toHaveLength(3);
    expect(refused).toHaveLength(7);
    for (const o of refused) expect((o as PromiseRejectedResult).reason).toMatchObject({ statusCode: 409 });
    expect(await listed()).toHaveLength(max);
    expect(await counted()).toBe(max);
  });

  it('never passes the limit when concurrent registrations create the count together', async () => {
    const max = (await listed()).length + 2;
    await dynamoDb.send(new DeleteCommand({ TableName: table, Key: keys.modelCount }));
    const ids = Array.from({ length: 6 }, (_, i) => `first-${i}`);

    const outcomes = await Promise.allSettled(ids.map((modelId) => register(modelId, max)));

    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(2);
    expect(await listed()).toHaveLength(max);
    expect(await counted()).toBe(max);
  });

  it('counts a new model registered by several requests at once once', async () => {
    const count = (await counted()) as number;
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => register('same-model')));
    expect(outcomes.filter((o) => o.created)).toHaveLength(1);
    expect(outcomes.filter((o) => !o.created)).toHaveLength(4);
    expect(await counted()).toBe(count + 1);
    expect(await listed()).toHaveLength(count + 1);
  });

  it('evaluates the first models by id when there are more than a scheduled run reads, and reports the rest', async () => {
    const { putBaseline } = await import('../../functions/commons/registry/baselines.ts');
    const { runScheduledEvaluations } = await import('../../functions/commons/evaluation/schedule.ts');
    // The last three models by id, with baselines (the others have none: they are never evaluated).
    const ids = ['zz-1', 'zz-2', 'zz-3'];
    const records = Array.from({ length: 20 }, (_, i) => ({ features: { x: i }, prediction: 'yes' }));
    for (const modelId of ids) {
      await register(modelId);
      await putBaseline(await registry.loadModel(modelId), { records, metrics: {} });
    }
    const all = await listed();
    expect(all.slice(-3)).toEqual(ids);
    const now = new Date();

    const runs = await runScheduledEvaluations(now, all.length - 1);

    expect(runs.map((run) => run.modelId)).toEqual(['zz-1', 'zz-2', '*']);
    expect(runs[0]).toMatchObject({ status: 'insufficient_data' });
    expect(runs[1]).toMatchObject({ status: 'insufficient_data' });
    expect(runs[2]?.error).toBe(
      `More than ${all.length - 1} registered models: those past the first ${all.length - 1} by id are not evaluated`,
    );

    // Under the bound, every model is read: the one left out is evaluated, the others are not due.
    const next = await runScheduledEvaluations(new Date(now.getTime() + 1000), all.length);
    expect(next.map((run) => run.modelId)).toEqual(['zz-3']);
  });
});
