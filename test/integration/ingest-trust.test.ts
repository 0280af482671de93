import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvers, startTestApi, type TestApi } from '../support/api.ts';

/**
 * Ingestion keeps what it accepts: every number it takes is stored and aggregated exactly, a
 * batch it refuses writes nothing, and a batch id names one content only.
 */
describe('ingestion: exact numbers, refusals before writes, idempotency keys', () => {
  let api: TestApi;

  const base = {
    owner: 'ds@example.com',
    features: [
      { name: 'x', type: 'numerical' },
      { name: 'plan', type: 'categorical' },
    ],
    schedule: { every: 'PT1H', window: 'PT1H', minSamples: 1 },
    approvers,
    groundTruth: { lookbackDays: 7 },
  };

  async function register(modelId: string, task: 'classification' | 'regression') {
    const created = await api.call('PUT', `/v1/models/${modelId}`, {
      body: { ...base, name: modelId, task },
    });
    expect(created.status).toBe(201);
    const reference = Array.from({ length: 200 }, (_, i) => ({
      features: { x: i % 50, plan: ['a', 'b'][i % 2] },
      prediction: task === 'regression' ? i : i % 2 ? 'yes' : 'no',
    }));
    expect(
      (await api.call('PUT', `/v1/models/${modelId}/baseline`, { body: { records: reference } })).status,
    ).toBe(201);
  }

  const evaluate = async (modelId: string) => {
    const evaluation = await api.call('POST', `/v1/models/${modelId}/evaluations`);
    expect(evaluation.status).toBe(201);
    return evaluation.body;
  };

  beforeAll(async () => {
    api = await startTestApi();
    await register('cls', 'classification');
    await register('reg', 'regression');
  });
  afterAll(async () => api.close());

  it('refuses a prediction id repeated in one batch with 400 naming both records, writing nothing', async () => {
    const before = await api.snapshot();
    const record = (id: string) => ({ predictionId: id, features: { x: 1, plan: 'a' }, prediction: 'yes' });
    const sent = await api.call('POST', '/v1/models/cls/predictions', {
      body: { batchId: 'dup', records: [record('d-1'), record('d-2'), record('d-1')] },
    });
    expect(sent.status).toBe(400);
    expect(sent.body.error.issues).toEqual([
      { path: 'records[0].predictionId', message: expect.stringContaining('records[2].predictionId') },
      { path: 'records[2].predictionId', message: expect.stringContaining('records[0].predictionId') },
    ]);
    const actuals = await api.call('POST', '/v1/models/cls/actuals', {
      body: {
        records: [
          { predictionId: 'd-0', actual: 'yes' },
          { predictionId: 'd-0', actual: 'no' },
        ],
      },
    });
    expect(actuals.status).toBe(400);
    expect(actuals.body.error.issues.map((i: { path: string }) => i.path)).toEqual([
      'records[0].predictionId',
      'records[1].predictionId',
    ]);
    expect(await api.snapshot()).toBe(before);
    // The batch id was not taken: the corrected batch goes through under it.
    const corrected = await api.call('POST', '/v1/models/cls/predictions', {
      body: { batchId: 'dup', records: [record('d-1'), record('d-2')] },
    });
    expect(corrected).toEqual({ status: 202, body: { accepted: 2 } });
  });

  it('binds a batch id to its content: a replay gets the first answer, other content 422 and nothing written', async () => {
    const record = (x: number) => ({ features: { x, plan: 'b' }, prediction: 'no' });
    const kinds = [
      {
        path: '/v1/models/cls/predictions',
        first: { batchId: 'k-1', records: [record(1), record(2)] },
        // The same content with its keys in another order is the same request.
        same: { records: [record(1), { prediction: 'no', features: { plan: 'b', x: 2 } }], batchId: 'k-1' },
        other: { batchId: 'k-1', records: [record(1), record(3)] },
        answer: { accepted: 2 },
      },
      {
        path: '/v1/models/cls/metrics',
        first: { batchId: 'k-1', records: [{ name: 'cost', value: 2 }] },
        same: { batchId: 'k-1', records: [{ name: 'cost', value: 2 }] },
        other: { batchId: 'k-1', records: [{ name: 'cost', value: 20 }] },
        answer: { accepted: 1 },
      },
      {
        path: '/v1/models/cls/actuals',
        first: { batchId: 'k-1', records: [{ predictionId: 'd-1', actual: 'yes' }] },
        same: { batchId: 'k-1', records: [{ predictionId: 'd-1', actual: 'yes' }] },
        other: { batchId: 'k-1', records: [{ predictionId: 'd-1', actual: 'no' }] },
        answer: { matched: 1, unmatched: 0 },
      },
    ];
    for (const kind of kinds) {
      expect(await api.call('POST', kind.path, { body: kind.first })).toEqual({
        status: 202,
        body: kind.answer,
      });
      const before = await api.snapshot();
      expect(await api.call('POST', kind.path, { body: kind.same })).toEqual({
        status: 202,
        body: { ...kind.answer, replayed: true },
      });
      const other = await api.call('POST', kind.path, { body: kind.other });
      expect(other.status).toBe(422);
      expect(other.body.error).toMatchObject({
        code: 'idempotency_key_reused',
        issues: [{ path: 'batchId', message: expect.any(String) }],
      });
      expect(await api.snapshot()).toBe(before);
    }
  });

  it('refuses a reused batch id whose other content names a new metric or feedback category, admitting no name', async () => {
    const kinds = [
      {
        path: '/v1/models/cls/metrics',
        first: { batchId: 'k-names', records: [{ name: 'cost', value: 2 }] },
        other: { batchId: 'k-names', records: [{ name: 'latency_ms', value: 20 }] },
      },
      {
        path: '/v1/models/cls/feedback',
        first: { batchId: 'k-names', category: 'complaint', message: 'wrong' },
        other: { batchId: 'k-names', category: 'praise', message: 'right' },
      },
    ];
    for (const kind of kinds) {
      expect((await api.call('POST', kind.path, { body: kind.first })).status).toBe(202);
      const before = await api.snapshot();
      const other = await api.call('POST', kind.path, { body: kind.other });
      expect(other.status).toBe(422);
      expect(other.body.error.code).toBe('idempotency_key_reused');
      expect(await api.snapshot()).toBe(before);
    }
  });

  it('refuses settings and metrics that DynamoDB numbers cannot hold with 400, writing nothing', async () => {
    const before = await api.snapshot();
    const model = (thresholds: unknown) => ({ ...base, name: 'n', task: 'classification', thresholds });
    const cases = [
      {
        path: '/v1/models/cls',
        method: 'PUT',
        body: model({ performance: { accuracy: { min: 1e200 } } }),
        field: 'thresholds.performance.accuracy.min',
      },
      {
        path: '/v1/models/cls',
        method: 'PUT',
        body: model({ performance: { accuracy: { maxRelativeDrop: 1e-200 } } }),
        field: 'thresholds.performance.accuracy.maxRelativeDrop',
      },
      {
        path: '/v1/models/cls',
        method: 'PUT',
        body: model({ drift: { x: { method: 'psi', threshold: 2 ** 60 } } }),
        field: 'thresholds.drift.x.threshold',
      },
      {
        path: '/v1/models/cls/baseline',
        method: 'PUT',
        body: {
          records: [{ features: { x: 1, plan: 'a' }, prediction: 'yes' }],
          metrics: { accuracy: 1e-200 },
        },
        field: 'metrics.accuracy',
      },
    ];
    for (const { path, method, body, field } of cases) {
      const response = await api.call(method, path, { body });
      expect(response.status).toBe(400);
      expect(response.body.error.issues.map((i: { path: string }) => i.path)).toContain(field);
    }
    expect(await api.snapshot()).toBe(before);
  });

  it('refuses metric points older than 35 days or ahead of the clock, which no window would count', async () => {
    const before = await api.snapshot();
    const sent = await api.call('POST', '/v1/models/cls/metrics', {
      body: {
        records: [
          { name: 'cost', value: 1, timestamp: 0 },
          { name: 'cost', value: 1, timestamp: '2999-01-01T00:00:00Z' },
        ],
      },
    });
    expect(sent.status).toBe(400);
    expect(sent.body.error.issues.map((i: { path: string }) => i.path)).toEqual([
      'records[0].timestamp',
      'records[1].timestamp',
    ]);
    expect(await api.snapshot()).toBe(before);
  });

  it('accepts any finite double as a score or a feature, and counts it', async () => {
    await register('extremes', 'classification');
    const values = [1e200, -1e300, Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324, -0, 1e-200];
    const sent = await api.call('POST', '/v1/models/extremes/predictions', {
      body: {
        batchId: 'extremes',
        records: values.map((v, i) => ({
          predictionId: `e-${i}`,
          features: { x: v, plan: 'a' },
          prediction: 'yes',
          score: v,
        })),
      },
    });
    expect(sent).toEqual({ status: 202, body: { accepted: values.length } });
    const evaluation = await evaluate('extremes');
    expect(evaluation.samples).toBe(values.length);
    const x = evaluation.drift.columns.find((c: { name: string }) => c.name === 'x');
    expect(x.current).toMatchObject({ count: values.length, missingShare: 0 });
  });

  it('keeps metric points up to 1e15 and beyond exactly: the mean of 1e16 + 1 three times', async () => {
    await register('points', 'classification');
    const sent = await api.call('POST', '/v1/models/points/metrics', {
      body: {
        records: [
          { name: 'latency_ns', value: 1e8 },
          { name: 'latency_ns', value: 3e8 },
          { name: 'big', value: 1e15 },
          { name: 'exact', value: 1e16 },
          { name: 'exact', value: 1 },
          { name: 'exact', value: 1e16 },
          { name: 'exact', value: 1 },
          { name: 'exact', value: 1e16 },
          { name: 'exact', value: 4 },
          { name: 'huge', value: 1e300 },
          { name: 'huge', value: -1e300 },
          { name: 'tiny', value: 1e-300 },
        ],
      },
    });
    expect(sent).toEqual({ status: 202, body: { accepted: 12 } });
    const { performance } = await evaluate('points');
    expect(performance.points).toEqual({
      latency_ns: { count: 2, mean: 2e8 },
      big: { count: 1, mean: 1e15 },
      // (3e16 + 6) / 3 = 1e16 + 2, a double; summing as doubles gives 1e16.
      exact: { count: 6, mean: (3e16 + 6) / 6 },
      huge: { count: 2, mean: 0 },
      tiny: { count: 1, mean: 1e-300 },
    });
  });

  it('joins regression actuals whose squared error passes 2^53 and reads the error sums back exactly', async () => {
    const predictions = [1.2e8, 3, 1e200];
    const actuals = [0, 3, -1e200];
    const sent = await api.call('POST', '/v1/models/reg/predictions', {
      body: {
        records: predictions.map((p, i) => ({
          predictionId: `r-${i}`,
          features: { x: 1, plan: 'a' },
          prediction: p,
        })),
      },
    });
    expect(sent.status).toBe(202);
    const joined = await api.call('POST', '/v1/models/reg/actuals', {
      body: { records: actuals.slice(0, 2).map((a, i) => ({ predictionId: `r-${i}`, actual: a })) },
    });
    expect(joined).toEqual({ status: 202, body: { matched: 2, unmatched: 0 } });
    const first = await evaluate('reg');
    expect(first.performance.fromActuals).toMatchObject({
      samples: 2,
      metrics: { mae: 6e7, rmse: 1.2e8 / Math.SQRT2 },
    });

    const huge = await api.call('POST', '/v1/models/reg/actuals', {
      body: { records: [{ predictionId: 'r-2', actual: actuals[2] }] },
    });
    expect(huge).toEqual({ status: 202, body: { matched: 1, unmatched: 0 } });
    const second = await evaluate('reg');
    expect(second.performance.fromActuals.samples).toBe(3);
    expect(second.performance.fromActuals.metrics.mae).toBeCloseTo((1.2e8 + 2e200) / 3, -190);
  });

  it('keeps a joined prediction when its id is sent again, so its actual never counts twice', async () => {
    await register('rejoin', 'classification');
    const prediction = { predictionId: 'once', features: { x: 1, plan: 'a' }, prediction: 'yes' };
    const actual = { records: [{ predictionId: 'once', actual: 'no' }] };
    expect(
      (await api.call('POST', '/v1/models/rejoin/predictions', { body: { records: [prediction] } })).status,
    ).toBe(202);
    expect(await api.call('POST', '/v1/models/rejoin/actuals', { body: actual })).toEqual({
      status: 202,
      body: { matched: 1, unmatched: 0 },
    });
    // The same prediction again (a client retry without batchId), then the same actual again.
    expect(
      (await api.call('POST', '/v1/models/rejoin/predictions', { body: { records: [prediction] } })).status,
    ).toBe(202);
    expect(
      (await api.call('POST', '/v1/models/rejoin/actuals', { body: { batchId: 'again', ...actual } })).status,
    ).toBe(202);
    const { performance } = await evaluate('rejoin');
    expect(performance.fromActuals.samples).toBe(1);
  });
});
