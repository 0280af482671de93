import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvers, startTestApi, type TestApi } from '../support/api.ts';

function model(extendUntilMinSamples?: string) {
  return {
    name: 'Sporadic model',
    owner: 'ds@example.com',
    task: 'classification',
    features: [{ name: 'x', type: 'numerical' }],
    schedule: {
      every: 'PT1H',
      window: 'PT1H',
      minSamples: 100,
      ...(extendUntilMinSamples ? { extendUntilMinSamples } : {}),
    },
    approvers,
  };
}

const minute = 60_000;

/**
 * A window below `minSamples` grows back bucket by bucket up to `schedule.extendUntilMinSamples`
 * before it is `insufficient_data`, and the evaluation records the window it used.
 */
describe('windows extended until minSamples (local runtime on dynalite)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  async function setUp(modelId: string, extend?: string) {
    expect((await api.call('PUT', `/v1/models/${modelId}`, { body: model(extend) })).status).toBe(201);
    const records = Array.from({ length: 200 }, (_, i) => ({ features: { x: i % 50 }, prediction: 'yes' }));
    expect((await api.call('PUT', `/v1/models/${modelId}/baseline`, { body: { records } })).status).toBe(201);
  }

  /** `n` predictions at `timestamp`, all in that minute's bucket. */
  async function send(modelId: string, n: number, timestamp: number) {
    const records = Array.from({ length: n }, (_, i) => ({
      features: { x: i % 50 },
      prediction: 'yes',
      timestamp,
    }));
    expect((await api.call('POST', `/v1/models/${modelId}/predictions`, { body: { records } })).status).toBe(
      202,
    );
  }

  it('refuses a span shorter than the window, naming the field', async () => {
    const response = await api.call('PUT', '/v1/models/too-short', { body: model('PT30M') });
    expect(response.status).toBe(400);
    expect(response.body.error.issues.map((i: { path: string }) => i.path)).toContain(
      'schedule.extendUntilMinSamples',
    );
  });

  it('grows a quiet window back to the bucket that brings it to minSamples', async () => {
    const now = Date.now();
    const minuteOf = (t: number) => Math.floor(t / minute) * minute;
    for (const modelId of ['sporadic', 'fixed']) {
      await setUp(modelId, modelId === 'sporadic' ? 'PT6H' : undefined);
      await send(modelId, 30, now - 10 * minute); // in the window
      await send(modelId, 50, now - 150 * minute);
      await send(modelId, 40, now - 270 * minute); // brings it to 120
      await send(modelId, 50, now - 300 * minute); // not needed
      await send(modelId, 50, now - 420 * minute); // beyond the span
    }

    const fixed = await api.call('POST', '/v1/models/fixed/evaluations');
    expect(fixed.body).toMatchObject({ status: 'insufficient_data', samples: 30 });
    expect(fixed.body.window).toBeUndefined();

    const extended = await api.call('POST', '/v1/models/sporadic/evaluations');
    expect(extended.status).toBe(201);
    expect(extended.body).toMatchObject({ status: 'ok', samples: 120, minSamples: 100 });
    expect(extended.body.windowStart).toBe(new Date(minuteOf(now - 270 * minute)).toISOString());
    expect(extended.body.window).toEqual({
      start: extended.body.windowStart,
      end: extended.body.windowEnd,
      extended: true,
      requested: {
        start: new Date(Date.parse(extended.body.windowEnd) - 60 * minute).toISOString(),
        end: extended.body.windowEnd,
      },
      limit: new Date(Date.parse(extended.body.windowEnd) - 360 * minute).toISOString(),
    });
    const stored = await api.call('GET', `/v1/evaluations/${extended.body.evaluationId}`);
    expect(stored.body.window).toEqual(extended.body.window);
    expect(stored.body.drift.columns[0].current.count).toBe(120);
    const report = await api.call('GET', `/v1/evaluations/${extended.body.evaluationId}/report`);
    expect(report.body).toContain(
      `The window grew back from ${extended.body.window.requested.start} to ${extended.body.windowStart}`,
    );
  });

  it('is insufficient_data when even the whole span holds too few predictions', async () => {
    await setUp('rare', 'PT3H');
    const now = Date.now();
    await send('rare', 20, now - 10 * minute);
    await send('rare', 20, now - 100 * minute);
    await send('rare', 90, now - 200 * minute); // beyond the span

    const evaluation = await api.call('POST', '/v1/models/rare/evaluations');
    expect(evaluation.body).toMatchObject({ status: 'insufficient_data', samples: 40 });
    expect(evaluation.body.window).toMatchObject({ extended: true, limit: evaluation.body.windowStart });
    expect(Date.parse(evaluation.body.windowEnd) - Date.parse(evaluation.body.windowStart)).toBe(
      180 * minute,
    );
  });
});
