import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_PAGE_BYTES } from '../../functions/commons/reports/report-bounds.ts';
import { approvers, startTestApi, type TestApi } from '../support/api.ts';

/**
 * The evaluation report of a model at its limits through the server: 100 categorical features of
 * 64-character names, each with 25 baseline and 25 new window categories of 256 characters the
 * page escapes, so that every feature's chart takes ~60 KB and the page of every feature would
 * be past Lambda's 6 MB answer.
 */
const FEATURES = 100;
const names = Array.from({ length: FEATURES }, (_, i) => `f${String(i).padStart(3, '0')}`.padEnd(64, '_'));
const category = (i: number) => `${i}`.padEnd(256, `<&"'>`);
const records = (shift: number) =>
  Array.from({ length: 50 }, (_, i) => ({
    features: Object.fromEntries(names.map((name, f) => [name, category(((i + f) % 25) + shift)])),
    prediction: 'yes',
  }));

describe('the evaluation report of a model at its limits (local runtime on dynalite)', {
  timeout: 300_000,
}, () => {
  let api: TestApi;
  let evaluationId: string;

  beforeAll(async () => {
    api = await startTestApi();
    const model = {
      name: 'wide',
      owner: 'ds@example.com',
      task: 'classification',
      features: names.map((name) => ({ name, type: 'categorical' })),
      schedule: { every: 'PT1H', window: 'PT1H', minSamples: 50 },
      approvers,
    };
    expect((await api.call('PUT', '/v1/models/wide', { body: model })).status).toBe(201);
    expect(
      (await api.call('PUT', '/v1/models/wide/baseline', { body: { records: records(0) } })).status,
    ).toBe(201);
    expect(
      (await api.call('POST', '/v1/models/wide/predictions', { body: { records: records(25) } })).status,
    ).toBe(202);
    const evaluation = await api.call('POST', '/v1/models/wide/evaluations');
    expect(evaluation.status).toBe(201);
    expect(evaluation.body.drift.dataset.driftedColumns).toBe(FEATURES);
    evaluationId = evaluation.body.evaluationId;
  });
  afterAll(async () => {
    await api.close();
  });

  it('answers a page within its budget: the most drifted features drawn, every other one linked to its own page', async () => {
    const report = await api.call('GET', `/v1/evaluations/${evaluationId}/report`);

    expect(report.status).toBe(200);
    const page = report.body as string;
    expect(Buffer.byteLength(page)).toBeLessThanOrEqual(REPORT_PAGE_BYTES);
    const drawn = [...page.matchAll(/<svg class="chart" data-column="([^"]+)"/g)].map((m) => m[1]);
    expect(drawn.length).toBeGreaterThan(0);
    expect(drawn.length).toBeLessThan(FEATURES);
    expect(page).toContain(`data-omitted="${FEATURES - drawn.length}"`);
    const linked = names.filter((name) => page.includes(`<a href="?feature=${name}">${name}</a>`));
    expect(linked.sort()).toEqual(names.filter((name) => !drawn.includes(name)).sort());
  });

  it('bounds the read-only report an alert links to the same way, without links to pages it cannot open', async () => {
    const link = api.runtime.governance.outbox
      .list()
      .flatMap((m) => m.links)
      .find((l) => l.includes(`/views/evaluations/${evaluationId}/report`));
    const response = await fetch(link as string);

    expect(response.status).toBe(200);
    const page = await response.text();
    expect(Buffer.byteLength(page)).toBeLessThanOrEqual(REPORT_PAGE_BYTES);
    expect(page).toMatch(/data-omitted="\d+"/);
    expect(page).not.toContain('?feature=');
  });

  it('answers the page of one feature', async () => {
    const feature = names[42] as string;
    const report = await api.call('GET', `/v1/evaluations/${evaluationId}/report?feature=${feature}`);

    expect(report.status).toBe(200);
    const page = report.body as string;
    expect([...page.matchAll(/<svg class="chart" data-column="([^"]+)"/g)].map((m) => m[1])).toEqual([
      feature,
    ]);
    expect(page).toContain(`Drift score of ${feature} per evaluation`);
    expect(page).toContain(`data-omitted="${FEATURES - 1}"`);
  });

  it('refuses a feature the evaluation does not have, naming it, and needs the admin key', async () => {
    const unknown = await api.call('GET', `/v1/evaluations/${evaluationId}/report?feature=nope`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.issues).toEqual([
      { path: 'query.feature', message: 'not a feature of this evaluation' },
    ]);

    const long = await api.call('GET', `/v1/evaluations/${evaluationId}/report?feature=${'x'.repeat(65)}`);
    expect(long.status).toBe(400);
    expect(long.body.error.issues[0].path).toBe('query.feature');

    const keyless = await api.call('GET', `/v1/evaluations/${evaluationId}/report?feature=${names[0]}`, {
      key: null,
    });
    expect(keyless.status).toBe(401);
  });
});
