import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvers, startTestApi, type TestApi } from '../support/api.ts';

/** Numbers the registry stores as DynamoDB numbers: refused with 400 naming the field when they cannot be. */
describe('numbers the registry stores', () => {
  let api: TestApi;
  const model = (extra: Record<string, unknown> = {}) => ({
    name: 'Numbers',
    owner: 'ops@example.com',
    task: 'regression',
    features: [
      { name: 'x', type: 'numerical' },
      { name: 'c', type: 'categorical' },
    ],
    approvers,
    ...extra,
  });

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  it.each([
    ['thresholds.performance.rmse.min', { thresholds: { performance: { rmse: { min: -1e300 } } } }],
    ['thresholds.performance.rmse.max', { thresholds: { performance: { rmse: { max: 1e-200 } } } }],
    ['thresholds.drift.x.threshold', { thresholds: { drift: { x: { method: 'psi', threshold: 1e126 } } } }],
    ['governance.approvalTimeoutHours', { governance: { approvalTimeoutHours: 1e-140 } }],
  ])('refuses %s that DynamoDB cannot hold, writing nothing', async (path, extra) => {
    const before = await api.snapshot();
    const response = await api.call('PUT', '/v1/models/refused', { body: model(extra) });
    expect(response.status).toBe(400);
    expect(response.body.error.issues.map((issue: { path: string }) => issue.path)).toEqual([path]);
    expect(await api.snapshot()).toEqual(before);
  });

  it('stores thresholds at the edges of the range exactly', async () => {
    const thresholds = {
      performance: {
        rmse: { min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER },
        mae: { max: 1e-130 },
      },
      drift: { x: { method: 'psi', threshold: 0.123456789012345 } },
    };
    expect((await api.call('PUT', '/v1/models/edges', { body: model({ thresholds }) })).status).toBe(201);
    const stored = await api.call('GET', '/v1/models/edges');
    expect(stored.body.thresholds.performance).toEqual(thresholds.performance);
    expect(stored.body.thresholds.drift).toEqual(thresholds.drift);
  });

  it('refuses version and baseline metrics DynamoDB cannot hold, and fits a baseline of any finite values', async () => {
    expect((await api.call('PUT', '/v1/models/metrics', { body: model() })).status).toBe(201);
    const version = await api.call('POST', '/v1/models/metrics/versions', {
      body: { version: '1.0.0', artifactUri: 's3://models/1', metrics: { rmse: -1e300 } },
    });
    expect(version.status).toBe(400);
    expect(version.body.error.issues.map((issue: { path: string }) => issue.path)).toEqual(['metrics.rmse']);

    const records = Array.from({ length: 50 }, (_, i) => ({
      features: { x: i % 2 ? 1e300 * i : -Number.MAX_VALUE / (i + 1), c: `c${i % 3}` },
      prediction: i % 2 ? 1e200 : 5e-324,
    }));
    const refused = await api.call('PUT', '/v1/models/metrics/baseline', {
      body: { records, metrics: { rmse: 1e300 } },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.issues.map((issue: { path: string }) => issue.path)).toEqual(['metrics.rmse']);
    const fitted = await api.call('PUT', '/v1/models/metrics/baseline', {
      body: { records, metrics: { rmse: 0.5 } },
    });
    expect(fitted.status).toBe(201);
  });
});
