import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvers, startTestApi, type TestApi } from '../support/api.ts';

function rng(seed: number) {
  let s = seed >>> 0;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

const weekday = { mean: 40, plans: ['basic', 'basic', 'plus', 'pro'] };
/** The weekend's users: older, on bigger plans. */
const weekend = { mean: 55, plans: ['pro', 'pro', 'pro', 'enterprise'] };

function records(n: number, seed: number, kind: typeof weekday, timestamp?: number) {
  const r = rng(seed);
  return Array.from({ length: n }, () => ({
    features: {
      age: Math.round((kind.mean + 10 * r.normal()) * 10) / 10,
      plan: kind.plans[Math.floor(r.uniform() * kind.plans.length)] as string,
    },
    prediction: r.uniform() < 0.3 ? 'churn' : 'stay',
    ...(timestamp === undefined ? {} : { timestamp }),
  }));
}

function model(reference?: Record<string, string>) {
  return {
    name: 'Churn',
    owner: 'ds@example.com',
    task: 'classification',
    features: [
      { name: 'age', type: 'numerical' },
      { name: 'plan', type: 'categorical' },
    ],
    schedule: { every: 'PT1H', window: 'PT1H', minSamples: 200 },
    ...(reference ? { reference } : {}),
    approvers,
  };
}

const minute = 60_000;
const week = 7 * 86400_000;

/**
 * A weekly pattern: the same shifted distribution a week ago and now. The baseline alone flags
 * it; a seasonal reference of one week silences it, unless the lagged window is too thin to
 * compare with, and in `seasonal` mode a window that differs from a week ago drifts even when
 * it matches the baseline.
 */
describe('seasonal reference (local runtime on dynalite)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  async function setUp(modelId: string, reference?: Record<string, string>) {
    expect((await api.call('PUT', `/v1/models/${modelId}`, { body: model(reference) })).status).toBe(201);
    const baseline = records(2000, 1, weekday);
    expect(
      (await api.call('PUT', `/v1/models/${modelId}/baseline`, { body: { records: baseline } })).status,
    ).toBe(201);
  }

  async function send(modelId: string, batch: ReturnType<typeof records>) {
    expect(
      (await api.call('POST', `/v1/models/${modelId}/predictions`, { body: { records: batch } })).status,
    ).toBe(202);
  }

  it('refuses a lag shorter than the window and an unknown mode, naming the field', async () => {
    for (const [reference, field] of [
      [{ lag: 'PT30M' }, 'reference.lag'],
      [{ lag: 'P7D', mode: 'weekly' }, 'reference.mode'],
      [{ lag: 'every week' }, 'reference.lag'],
    ] as const) {
      const response = await api.call('PUT', '/v1/models/bad-reference', { body: model(reference) });
      expect(response.status).toBe(400);
      expect(response.body.error.issues.map((i: { path: string }) => i.path)).toContain(field);
    }
    // The fdr rule decides on one comparison's adjusted p-values: it does not combine with a second reference.
    const base = model({ lag: 'P7D' }) as Record<string, unknown>;
    const fdr = {
      ...base,
      thresholds: { ...(base.thresholds as object | undefined), datasetDrift: { rule: 'fdr', alpha: 0.05 } },
    };
    const refused = await api.call('PUT', '/v1/models/bad-reference', { body: fdr });
    expect(refused.status).toBe(400);
    expect(refused.body.error.issues.map((i: { path: string }) => i.path)).toContain('reference');
    expect((await api.call('GET', '/v1/models/bad-reference')).status).toBe(404);
  });

  it('silences a weekly pattern that the baseline alone flags', async () => {
    const now = Date.now();
    for (const modelId of ['baseline-only', 'weekly', 'thin-history']) {
      await setUp(modelId, modelId === 'baseline-only' ? undefined : { lag: 'P7D' });
      await send(modelId, records(400, 2, weekend, now - 20 * minute));
      // A week earlier, the same weekend distribution (only a few for the thin history).
      await send(
        modelId,
        records(modelId === 'thin-history' ? 50 : 400, 3, weekend, now - week - 20 * minute),
      );
    }

    const flagged = (await api.call('POST', '/v1/models/baseline-only/evaluations')).body;
    expect(flagged.status).toBe('breach');
    expect(flagged.drift.dataset).toMatchObject({ drifted: true, driftedColumns: 2 });
    expect(flagged.reference).toBeUndefined();

    const weekly = (await api.call('POST', '/v1/models/weekly/evaluations')).body;
    expect(weekly.status).toBe('ok');
    expect(weekly.drift.dataset).toMatchObject({ drifted: false, driftedColumns: 0 });
    expect(weekly.reference).toMatchObject({
      lag: 'P7D',
      mode: 'both',
      applied: true,
      samples: 400,
      windowStart: new Date(Date.parse(weekly.windowStart) - week).toISOString(),
      windowEnd: new Date(Date.parse(weekly.windowEnd) - week).toISOString(),
      dataset: { drifted: false, driftedColumns: 0, columns: 2 },
    });
    for (const column of weekly.drift.columns) {
      expect(column).toMatchObject({ drifted: false, baselineDrifted: true });
      expect(column.lagged).toMatchObject({ drifted: false, reference: { count: 400 } });
      expect(column.lagged.method).toBe(column.method);
    }
    const age = weekly.drift.columns.find((c: { name: string }) => c.name === 'age');
    expect(age.lagged.errorBound).toBeGreaterThanOrEqual(0);
    const report = await api.call('GET', `/v1/evaluations/${weekly.evaluationId}/report`);
    expect(report.status).toBe(200);
    expect(report.body).toContain('Seasonal reference (P7D earlier');
    expect(report.body).toMatch(
      /<td>age<\/td><td>wassersteinNormed<\/td><td>[^<]+ \(drift\)<\/td><td>[^<(]+<\/td><td>no drift<\/td>/,
    );

    const thin = (await api.call('POST', '/v1/models/thin-history/evaluations')).body;
    expect(thin.status).toBe('breach');
    expect(thin.reference).toMatchObject({ applied: false, samples: 50 });
    expect(thin.reference.reason).toContain('fewer than minSamples');
    expect(thin.drift.dataset.drifted).toBe(true);
  });

  it('in seasonal mode, flags a window unlike a week ago even when it matches the baseline', async () => {
    const now = Date.now();
    await setUp('seasonal', { lag: 'P7D', mode: 'seasonal' });
    // Now, the baseline's very values; a week ago, the weekend's.
    const current = records(2000, 1, weekday, now - 20 * minute);
    for (let i = 0; i < current.length; i += 500) await send('seasonal', current.slice(i, i + 500));
    await send('seasonal', records(400, 5, weekend, now - week - 20 * minute));

    const evaluation = (await api.call('POST', '/v1/models/seasonal/evaluations')).body;
    expect(evaluation.status).toBe('breach');
    expect(evaluation.reference).toMatchObject({
      mode: 'seasonal',
      applied: true,
      dataset: { drifted: true },
    });
    expect(evaluation.reasons[1]).toMatch(/^Against the window one P7D earlier \(mode seasonal\): age \(/);
    for (const column of evaluation.drift.columns) {
      expect(column).toMatchObject({ drifted: true, baselineDrifted: false, lagged: { drifted: true } });
    }
  });
});
