import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvers, startTestApi, type TestApi } from '../support/api.ts';

/**
 * The model as the ingest routes read it (registry/ingest-model.ts): only the attributes ingest
 * uses, read strongly consistent on every request, equal to what the document client reads of
 * them, and a change to the model applies to the very next read.
 */
describe('the model read of ingest', () => {
  let api: TestApi;
  let registry: typeof import('../../functions/commons/registry/store.ts');
  let schema: typeof import('../../functions/commons/registry/schema.ts');
  let ingestModel: typeof import('../../functions/commons/registry/ingest-model.ts');

  const body = {
    name: 'Ingest model',
    owner: 'ml@example.com',
    task: 'classification',
    positiveClass: 'churn',
    features: [
      { name: 'age', type: 'numerical', quality: { min: 0, max: 120, maxMissingShare: 0.1 } },
      { name: 'plan', type: 'categorical', quality: { allowed: ['basic', 'pro'] } },
      { name: 'country', type: 'categorical' },
    ],
    schedule: { every: 'PT1H', window: 'PT6H', minSamples: 10 },
    reference: { lag: 'P7D' },
    segments: ['country'],
    groundTruth: { lookbackDays: 7 },
    writeShards: 3,
    governance: { stabilisationSeconds: 600 },
    approvers,
  };

  beforeAll(async () => {
    api = await startTestApi();
    registry = await import('../../functions/commons/registry/store.ts');
    schema = await import('../../functions/commons/registry/schema.ts');
    ingestModel = await import('../../functions/commons/registry/ingest-model.ts');
  });
  afterAll(async () => {
    await api?.close();
  });

  it('reads exactly the ingest fields, as the full read has them', async () => {
    await registry.putModel('ingest-read', schema.modelInputSchema.parse(body));
    await registry.setProductionVersion('ingest-read', '1.0.0', undefined);
    await registry.setProductionVersion('ingest-read', '1.1.0', '1.0.0');

    const full = await registry.loadModel('ingest-read');
    const read = await ingestModel.loadIngestModel('ingest-read');

    const expected: Record<string, unknown> = {
      governance: { stabilisationSeconds: 600 },
    };
    for (const field of ingestModel.INGEST_MODEL_FIELDS) {
      if (full[field] !== undefined) expected[field] = full[field];
    }
    expect(read).toEqual(expected);
    expect(read).toMatchObject({
      modelId: 'ingest-read',
      productionVersion: '1.1.0',
      previousVersion: '1.0.0',
      writeShards: 3,
      features: body.features,
    });
    // The workflow's attributes are not read.
    expect(Object.keys(read)).not.toContain('approvers');
    expect(Object.keys(read)).not.toContain('thresholds');
    expect(Object.keys(read)).not.toContain('owner');
  });

  it('sees a change to the model at the next read', async () => {
    await registry.putModel('ingest-change', schema.modelInputSchema.parse(body));
    expect((await ingestModel.loadIngestModel('ingest-change')).features).toHaveLength(3);

    const { groundTruth: _, segments: __, ...rest } = body;
    await registry.putModel(
      'ingest-change',
      schema.modelInputSchema.parse({ ...rest, features: body.features.slice(0, 2) }),
    );
    const read = await ingestModel.loadIngestModel('ingest-change');
    expect(read.features.map((f) => f.name)).toEqual(['age', 'plan']);
    expect(read.segments).toBeUndefined();
    expect(read.groundTruth).toBeUndefined();
  });

  it('answers 404 naming the model when it is not registered', async () => {
    await expect(ingestModel.loadIngestModel('never-registered')).rejects.toMatchObject({
      statusCode: 404,
      code: 'not_found',
      message: 'Model never-registered is not registered',
      issues: [{ path: 'modelId', message: 'unknown model' }],
    });
  });
});
