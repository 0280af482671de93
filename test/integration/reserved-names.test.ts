import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvers, startTestApi, type TestApi } from '../support/api.ts';

const model = {
  name: 'Labels',
  owner: 'ds@example.com',
  task: 'classification',
  features: [
    { name: 'age', type: 'numerical' },
    { name: 'plan', type: 'categorical' },
  ],
  schedule: { every: 'PT1H', window: 'PT1H', minSamples: 1 },
  thresholds: { performance: { accuracy: { min: 0.5 } } },
  approvers,
  groundTruth: { lookbackDays: 7 },
};

/**
 * Names that reach an object's prototype (`__proto__`, `constructor`, `prototype`) over HTTP on
 * the local runtime, which runs the handlers in this very process: a polluted prototype would
 * show here. They are refused wherever a client names something, and a label, which is
 * whatever the model predicts, is kept as a key like any other.
 */
describe('reserved names', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
    expect((await api.call('PUT', '/v1/models/labels', { body: model })).status).toBe(201);
    const baseline = await api.call('PUT', '/v1/models/labels/baseline', {
      body: {
        // The classes an evaluation names are the ones the baseline tracks; the rest are __other__.
        records: Array.from({ length: 50 }, (_, i) => ({
          features: { age: i, plan: 'a' },
          prediction: ['__proto__', 'constructor', 'x'][i % 3],
        })),
      },
    });
    expect(baseline.status).toBe(201);
  });
  afterAll(async () => api?.close());

  it('refuses a feature named __proto__ or constructor as unknown, and writes nothing', async () => {
    // Prepare
    const before = await api.snapshot();

    // Act
    const proto = await api.call('POST', '/v1/models/labels/predictions', {
      raw: '{"records": [{"features": {"age": 1, "plan": "a", "__proto__": {"polluted": true}}, "prediction": "x"}]}',
    });
    const constructorFeature = await api.call('POST', '/v1/models/labels/predictions', {
      body: { records: [{ features: { age: 1, constructor: 'a' }, prediction: 'x' }] },
    });
    const baseline = await api.call('PUT', '/v1/models/labels/baseline', {
      raw: '{"records": [{"features": {"__proto__": 1}, "prediction": "x"}], "metrics": {"__proto__": 1}}',
    });

    // Assess
    expect(proto.status).toBe(400);
    expect(proto.body.error.issues).toEqual([
      {
        path: 'records[0].features.__proto__',
        message: 'unknown feature: __proto__, constructor and prototype are reserved names',
      },
    ]);
    expect(constructorFeature.status).toBe(400);
    expect(constructorFeature.body.error.issues).toEqual([
      { path: 'records[0].features.constructor', message: expect.stringMatching(/^unknown feature/) },
    ]);
    expect(baseline.status).toBe(400);
    expect(baseline.body.error.issues.map((issue: { path: string }) => issue.path).sort()).toEqual([
      'metrics.__proto__',
      'records[0].features.__proto__',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await api.snapshot()).toBe(before);
  });

  it('refuses reserved names wherever a client declares one', async () => {
    // Act
    const feature = await api.call('PUT', '/v1/models/reserved', {
      body: { ...model, features: [{ name: 'constructor', type: 'numerical' }] },
    });
    const threshold = await api.call('PUT', '/v1/models/reserved', {
      body: { ...model, thresholds: { performance: { prototype: { min: 0 } } } },
    });
    const metric = await api.call('POST', '/v1/models/labels/metrics', {
      body: { records: [{ name: 'constructor', value: 1 }] },
    });
    const feedback = await api.call('POST', '/v1/models/labels/feedback', {
      body: { category: 'constructor', message: 'hello' },
    });

    // Assess
    for (const [answer, path] of [
      [feature, 'features[0].name'],
      [threshold, 'thresholds.performance.prototype'],
      [metric, 'records[0].name'],
      [feedback, 'category'],
    ] as const) {
      expect(answer.status).toBe(400);
      expect(answer.body.error.issues).toContainEqual({
        path,
        message: expect.stringMatching(/reserved name/),
      });
    }
  });

  it('keeps a predicted label named __proto__ as a class of its own', async () => {
    // Prepare
    const labels = ['__proto__', 'constructor', 'x'];
    const sent = await api.call('POST', '/v1/models/labels/predictions', {
      body: {
        records: labels.map((prediction, i) => ({
          predictionId: `p${i}`,
          features: { age: i, plan: 'a' },
          prediction,
        })),
      },
    });
    expect(sent.status).toBe(202);
    const actuals = await api.call('POST', '/v1/models/labels/actuals', {
      body: { records: labels.map((actual, i) => ({ predictionId: `p${i}`, actual })) },
    });
    expect(actuals.status).toBe(202);

    // Act
    const evaluation = await api.call('POST', '/v1/models/labels/evaluations');

    // Assess
    expect(evaluation.status).toBe(201);
    const classes = evaluation.body.performance.fromActuals.classes;
    expect(Object.keys(classes).sort()).toEqual(['__proto__', 'constructor', 'x']);
    expect(Object.getOwnPropertyDescriptor(classes, '__proto__')?.value).toEqual({
      precision: 1,
      recall: 1,
      f1: 1,
      support: 1,
    });
  });
});
