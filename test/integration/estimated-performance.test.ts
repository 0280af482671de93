import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvers, startTestApi, type TestApi } from '../support/api.ts';
import { repoRoot } from '../support/process.ts';

type Label = string | number | boolean;
interface Fixture {
  name: string;
  positiveClass: Label;
  baseline: { score: number; actual: Label; prediction: Label }[];
  window: { score: number; prediction: Label }[];
  thresholds: { x: number[]; y: number[] };
  estimated: Record<'accuracy' | 'precision' | 'recall' | 'f1', number | null> & { samples: number };
  clipped: { below: number; above: number };
}

const fixture = (name: string): Fixture =>
  JSON.parse(readFileSync(path.join(repoRoot, 'test', 'fixtures', 'cbpe', `${name}.json`), 'utf8'));

function close(actual: number | null, expected: number | null) {
  if (expected === null) expect(actual).toBeNull();
  else expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(1e-9);
}

function model(positiveClass: Label, extra: Record<string, unknown> = {}) {
  return {
    name: 'Fraud',
    owner: 'ds@example.com',
    task: 'classification',
    positiveClass,
    features: [{ name: 'amount', type: 'numerical' }],
    schedule: { every: 'PT1H', window: 'PT1H', minSamples: 10 },
    approvers,
    ...extra,
  };
}

describe('estimated performance through the server (test/fixtures/cbpe)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  /** The items of both tables that name a model (other tests' workflows may write meanwhile). */
  async function itemsOf(modelId: string): Promise<string[]> {
    const tables = JSON.parse(await api.snapshot()) as string[][];
    return tables.flat().filter((item) => item.includes(modelId));
  }

  async function setUp(modelId: string, f: Fixture, extra: Record<string, unknown> = {}) {
    expect(
      (await api.call('PUT', `/v1/models/${modelId}`, { body: model(f.positiveClass, extra) })).status,
    ).toBe(201);
    const baseline = await api.call('PUT', `/v1/models/${modelId}/baseline`, {
      body: {
        records: f.baseline.map((r) => ({
          features: { amount: r.score * 100 },
          prediction: r.prediction,
          score: r.score,
          actual: r.actual,
        })),
      },
    });
    expect(baseline.status).toBe(201);
    expect(baseline.body.calibration).toMatchObject({
      positiveClass: String(f.positiveClass),
      ...f.thresholds,
    });
  }

  async function send(modelId: string, f: Fixture, ids = false) {
    for (let i = 0; i < f.window.length; i += 400) {
      const records = f.window.slice(i, i + 400).map((r, j) => ({
        ...(ids ? { predictionId: `p${i + j}` } : {}),
        features: { amount: r.score * 100 },
        prediction: r.prediction,
        score: r.score,
      }));
      expect(
        (await api.call('POST', `/v1/models/${modelId}/predictions`, { body: { records } })).status,
      ).toBe(202);
    }
  }

  for (const name of ['noisy', 'ties', 'constant', 'out-of-range', 'no-positive-predictions']) {
    it(`estimates scikit-learn's figures for "${name}" to 1e-9`, async () => {
      const f = fixture(name);
      const modelId = `cbpe-${name}`;
      await setUp(modelId, f);
      await send(modelId, f);

      const evaluation = await api.call('POST', `/v1/models/${modelId}/evaluations`);

      expect(evaluation.status).toBe(201);
      const estimate = evaluation.body.estimatedPerformance;
      expect(estimate).toMatchObject({
        samples: f.estimated.samples,
        positiveClass: String(f.positiveClass),
        clipped: f.clipped,
        checks: [],
      });
      for (const metric of ['accuracy', 'precision', 'recall', 'f1'] as const)
        close(estimate[metric], f.estimated[metric]);
      expect(estimate.realised).toBeUndefined();
      // The stored evaluation holds the same figures.
      const stored = await api.call('GET', `/v1/evaluations/${evaluation.body.evaluationId}`);
      expect(stored.body.estimatedPerformance).toEqual(estimate);
    });
  }

  it('breaches on a bound of the estimate, the reason marked as estimated', async () => {
    const f = fixture('noisy');
    await setUp('cbpe-breach', f, {
      thresholds: {
        drift: { amount: { method: 'wassersteinNormed', threshold: 100 } },
        estimatedPerformance: { precision: { min: 0.7 }, recall: { min: 0.5 } },
      },
    });
    await send('cbpe-breach', f);

    const evaluation = await api.call('POST', '/v1/models/cbpe-breach/evaluations');

    expect(evaluation.body.status).toBe('breach');
    expect(evaluation.body.reasons).toEqual(['estimated precision 0.6098 is below the minimum 0.7']);
    expect(evaluation.body.estimatedPerformance.checks).toEqual([
      expect.objectContaining({ metric: 'precision', ok: false, min: 0.7 }),
      expect.objectContaining({ metric: 'recall', ok: true, min: 0.5 }),
    ]);
    close(evaluation.body.estimatedPerformance.checks[0].value, f.estimated.precision);
  });

  it('shows the realised metrics and the estimate error once actuals arrive', async () => {
    const f = fixture('separated');
    await setUp('cbpe-realised', f, { groundTruth: { lookbackDays: 7 } });
    await send('cbpe-realised', f, true);
    // Actuals for the first 100 predictions: the prediction itself for the even ones, the other class otherwise.
    const records = f.window.slice(0, 100).map((r, i) => ({
      predictionId: `p${i}`,
      actual: i % 2 === 0 ? r.prediction : r.prediction === 1 ? 0 : 1,
    }));
    expect((await api.call('POST', '/v1/models/cbpe-realised/actuals', { body: { records } })).status).toBe(
      202,
    );

    const evaluation = await api.call('POST', '/v1/models/cbpe-realised/evaluations');

    const estimate = evaluation.body.estimatedPerformance;
    close(estimate.f1, f.estimated.f1);
    const pairs = records.map((r, i) => ({ actual: r.actual, predicted: f.window[i]?.prediction }));
    const tp = pairs.filter((p) => p.actual === 1 && p.predicted === 1).length;
    const predicted = pairs.filter((p) => p.predicted === 1).length;
    const actual = pairs.filter((p) => p.actual === 1).length;
    expect(estimate.realised).toEqual({
      samples: 100,
      accuracy: 0.5,
      precision: tp / predicted,
      recall: tp / actual,
      f1: (2 * tp) / (predicted + actual),
    });
    for (const metric of ['accuracy', 'precision', 'recall', 'f1'] as const)
      expect(estimate.error[metric]).toBe(estimate[metric] - estimate.realised[metric]);

    // The evaluation's HTML report and the model report show them side by side.
    const report = await api.call('GET', `/v1/evaluations/${evaluation.body.evaluationId}/report`);
    expect(report.status).toBe(200);
    expect(report.body).toContain('<h2 id="estimated-performance">Estimated performance</h2>');
    expect(report.body).toContain('realised from 100 prediction–actual pairs joined so far');
    const kpi = await api.call('GET', '/v1/models/cbpe-realised/report');
    expect(kpi.body.estimatedPerformance).toEqual({
      evaluations: 1,
      withActuals: 1,
      meanAbsoluteError: {
        accuracy: Math.abs(estimate.error.accuracy),
        precision: Math.abs(estimate.error.precision),
        recall: Math.abs(estimate.error.recall),
        f1: Math.abs(estimate.error.f1),
      },
      latest: {
        evaluationId: evaluation.body.evaluationId,
        windowEnd: evaluation.body.windowEnd,
        estimated: {
          accuracy: estimate.accuracy,
          precision: estimate.precision,
          recall: estimate.recall,
          f1: estimate.f1,
          samples: estimate.samples,
        },
        realised: estimate.realised,
        error: estimate.error,
      },
    });
  });

  it('documents the fields in the OpenAPI document', async () => {
    const doc = (await api.call('GET', '/openapi.json', { key: null })).body;
    const schema = (path: string, method: string) =>
      doc.paths[path][method].requestBody.content['application/json'].schema;
    expect(schema('/v1/models/{modelId}', 'put').properties.positiveClass).toBeDefined();
    expect(
      schema('/v1/models/{modelId}', 'put').properties.thresholds.properties.estimatedPerformance,
    ).toBeDefined();
    expect(schema('/v1/models/{modelId}/baseline', 'put').properties.records.items.properties).toMatchObject({
      score: { type: 'number' },
      actual: expect.any(Object),
    });
    expect(
      doc.paths['/v1/evaluations/{evaluationId}'].get.responses['200'].content['application/json'].schema
        .properties.estimatedPerformance.required,
    ).toContain('f1');
  });

  it('realises the positive class even when the baseline never predicted it', async () => {
    const f = fixture('constant');
    expect(f.baseline.every((r) => r.prediction === false)).toBe(true);
    await setUp('cbpe-unseen', f, { groundTruth: { lookbackDays: 7 } });
    await send('cbpe-unseen', f, true);
    const records = Array.from({ length: 50 }, (_, i) => ({ predictionId: `p${i}`, actual: i % 3 === 0 }));
    expect((await api.call('POST', '/v1/models/cbpe-unseen/actuals', { body: { records } })).status).toBe(
      202,
    );

    const estimate = (await api.call('POST', '/v1/models/cbpe-unseen/evaluations')).body.estimatedPerformance;

    const predicted = f.window.slice(0, 50).map((r) => r.prediction === true);
    const tp = records.filter((r, i) => r.actual && predicted[i]).length;
    const positives = predicted.filter(Boolean).length;
    expect(estimate.realised).toMatchObject({ samples: 50, precision: tp / positives, recall: tp / 17 });
  });

  it('refuses what estimated performance cannot use, naming the field, and writes nothing', async () => {
    const before = await itemsOf('cbpe-bad');
    const regression = await api.call('PUT', '/v1/models/cbpe-bad', {
      body: { ...model('1'), task: 'regression' },
    });
    expect(regression.status).toBe(400);
    expect(JSON.stringify(regression.body)).toContain('positiveClass');
    const { positiveClass: _none, ...plain } = model('1');
    const bounds = await api.call('PUT', '/v1/models/cbpe-bad', {
      body: { ...plain, thresholds: { estimatedPerformance: { precision: { min: 0.5 } } } },
    });
    expect(bounds.status).toBe(400);
    expect(JSON.stringify(bounds.body)).toContain('estimatedPerformance');
    const unknownMetric = await api.call('PUT', '/v1/models/cbpe-bad', {
      body: model('1', { thresholds: { estimatedPerformance: { auc: { min: 0.5 } } } }),
    });
    expect(unknownMetric.status).toBe(400);
    expect(JSON.stringify(unknownMetric.body)).toContain('auc');
    expect((await api.call('GET', '/v1/models/cbpe-bad')).status).toBe(404);
    expect(await itemsOf('cbpe-bad')).toEqual(before);

    expect((await api.call('PUT', '/v1/models/cbpe-records', { body: model(1) })).status).toBe(201);
    const registered = await itemsOf('cbpe-records');
    const noActual = await api.call('PUT', '/v1/models/cbpe-records/baseline', {
      body: { records: [{ features: { amount: 1 }, prediction: 1, score: 0.9 }] },
    });
    expect(noActual.status).toBe(400);
    expect(noActual.body.error.issues).toEqual([{ path: 'records[0].actual', message: expect.any(String) }]);
    expect(await itemsOf('cbpe-records')).toEqual(registered);
    const f = fixture('separated');
    await api.call('PUT', '/v1/models/cbpe-records/baseline', {
      body: {
        records: f.baseline.map((r) => ({
          features: { amount: 1 },
          prediction: r.prediction,
          score: r.score,
          actual: r.actual,
        })),
      },
    });
    const fitted = await itemsOf('cbpe-records');
    const noScore = await api.call('POST', '/v1/models/cbpe-records/predictions', {
      body: {
        records: [
          { features: { amount: 1 }, prediction: 1, score: 0.5 },
          { features: { amount: 1 }, prediction: 1 },
          { features: { amount: 1 }, prediction: 1, score: 2 },
        ],
      },
    });
    expect(noScore.status).toBe(400);
    expect(noScore.body.error.issues.map((i: { path: string }) => i.path)).toEqual([
      'records[1].score',
      'records[2].score',
    ]);
    expect(await itemsOf('cbpe-records')).toEqual(fitted);
    const evaluation = await api.call('POST', '/v1/models/cbpe-records/evaluations');
    expect(evaluation.body.samples).toBe(0);
    expect(evaluation.body.estimatedPerformance.samples).toBe(0);
  });
});
