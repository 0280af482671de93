import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvers, startTestApi, type TestApi } from '../support/api.ts';

/**
 * Data-quality rules and the fdr dataset rule through the server: records ingested over HTTP,
 * the evaluation's figures compared with the golden fixtures of scripts/golden/fdr_fixtures.py.
 */
const load = (file: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures', file), 'utf8'));

interface RecordRow {
  features: Record<string, unknown>;
  prediction: string;
}

const fdr = load('fdr/server.json') as {
  features: string[];
  baseline: RecordRow[];
  window: RecordRow[];
  pValues: number[];
  adjusted: number[];
  alpha: number;
  rejectedColumns: number;
  drifted: boolean;
};
const quality = load('quality/counts.json') as {
  features: { name: string; type: string; quality: Record<string, unknown> }[];
  baseline: RecordRow[];
  window: RecordRow[];
  checks: { feature: string; check: string; value: number; limit: number; ok: boolean }[];
};

describe('data-quality rules and false discovery rate (local runtime on dynalite)', {
  timeout: 120_000,
}, () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  async function setUp(modelId: string, features: unknown[], thresholds: unknown, baseline: RecordRow[]) {
    const model = {
      name: modelId,
      owner: 'ds@example.com',
      task: 'classification',
      features,
      schedule: { every: 'PT1H', window: 'PT1H', minSamples: 100 },
      thresholds,
      approvers,
    };
    expect((await api.call('PUT', `/v1/models/${modelId}`, { body: model })).status).toBe(201);
    expect(
      (await api.call('PUT', `/v1/models/${modelId}/baseline`, { body: { records: baseline } })).status,
    ).toBe(201);
    await api.call('POST', `/v1/models/${modelId}/versions`, {
      body: { version: '1.0.0', artifactUri: `s3://m/${modelId}/1.0.0` },
    });
  }

  /** The page behind the first link of `to`'s email about `modelId` that leads to `part`. */
  async function linkedPage(to: string, modelId: string, part: string): Promise<string> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const link = api.runtime.governance.outbox
        .list()
        .filter((m) => m.to === to && m.subject.includes(modelId))
        .flatMap((m) => m.links)
        .find((l) => l.includes(part));
      if (link) return (await fetch(link)).text();
      if (Date.now() > deadline) throw new Error(`no ${part} link for ${to} about ${modelId}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function send(modelId: string, records: RecordRow[]) {
    for (let i = 0; i < records.length; i += 500) {
      const sent = await api.call('POST', `/v1/models/${modelId}/predictions`, {
        body: { records: records.slice(i, i + 500) },
      });
      expect(sent.status).toBe(202);
    }
  }

  it('adjusts the features’ p-values by Benjamini–Hochberg as the fixture does, and breaches on a rejection', async () => {
    await setUp(
      'fdr',
      fdr.features.map((name) => ({ name, type: 'categorical' })),
      { datasetDrift: { rule: 'fdr', alpha: fdr.alpha } },
      fdr.baseline,
    );
    await send('fdr', fdr.window);

    const evaluation = await api.call('POST', '/v1/models/fdr/evaluations');

    expect(evaluation.status).toBe(201);
    const { columns, dataset } = evaluation.body.drift;
    expect(columns.map((c: { name: string }) => c.name)).toEqual(fdr.features);
    columns.forEach(
      (column: { stats: { chiSquare: { pValue: number } }; adjustedPValue: number }, i: number) => {
        // Chi-square from profiles is exact (docs/drift.md); the p-values agree to 1e-9, and so do the adjusted ones.
        expect(Math.abs(column.stats.chiSquare.pValue - (fdr.pValues[i] as number))).toBeLessThanOrEqual(
          1e-9,
        );
        expect(Math.abs(column.adjustedPValue - (fdr.adjusted[i] as number))).toBeLessThanOrEqual(1e-9);
      },
    );
    expect(dataset).toMatchObject({
      rule: 'fdr',
      alpha: fdr.alpha,
      rejectedColumns: fdr.rejectedColumns,
      drifted: fdr.drifted,
      columns: fdr.features.length,
    });
    expect(evaluation.body.status).toBe('breach');
    expect(evaluation.body.reasons[0]).toMatch(
      new RegExp(
        `^Data drift in ${fdr.rejectedColumns} of 8 features \\(Benjamini–Hochberg at false discovery rate 0.05\\): f0 \\(adjusted p `,
      ),
    );
    expect(evaluation.body.quality).toBeUndefined();

    // Read back as stored.
    const stored = await api.call('GET', `/v1/evaluations/${evaluation.body.evaluationId}`);
    expect(stored.body.drift.columns[5].adjustedPValue).toBe(columns[5].adjustedPValue);
    expect(stored.body.drift.dataset.rule).toBe('fdr');

    // The evaluation report and the approval page show the rule and the adjusted p-values.
    const report = await linkedPage('dsl@example.com', '(fdr)', '/report');
    expect(report).toContain('<th scope="col" class="num">Adjusted p (BH)</th>');
    expect(report).toContain(
      `Benjamini–Hochberg at false discovery rate 0.05: ${fdr.rejectedColumns} of 8 columns rejected`,
    );
    const approval = await linkedPage('dsl@example.com', 'fdr', '/approvals/');
    expect(approval).toContain('<th scope="col">Adjusted p (BH)</th>');
    expect(approval).toContain(
      `Benjamini–Hochberg at false discovery rate 0.05: ${fdr.rejectedColumns} of 8 features rejected`,
    );
  });

  it('keeps thresholds.driftShare as the share rule when no datasetDrift is given', async () => {
    await setUp(
      'shares',
      fdr.features.map((name) => ({ name, type: 'categorical' })),
      { driftShare: 0.9 },
      fdr.baseline,
    );
    await send('shares', fdr.window.slice(0, 500));
    const evaluation = await api.call('POST', '/v1/models/shares/evaluations');
    expect(evaluation.body.drift.dataset.rule).toBeUndefined();
    expect(evaluation.body.drift.columns[0].adjustedPValue).toBeUndefined();
    expect(evaluation.body.drift.dataset.drifted).toBe(evaluation.body.drift.dataset.driftedShare >= 0.9);
  });

  it('counts the quality rules exactly at ingest and breaches with the failed rules as reasons', async () => {
    await setUp('quality', quality.features, undefined, quality.baseline);
    // Several batches: the counts are deltas added up by the reader.
    await send('quality', quality.window.slice(0, 333));
    await send('quality', quality.window.slice(333));

    const evaluation = await api.call('POST', '/v1/models/quality/evaluations');

    expect(evaluation.status).toBe(201);
    expect(evaluation.body.quality).toEqual(quality.checks);
    expect(evaluation.body.status).toBe('breach');
    const failed = quality.checks.filter((c) => !c.ok);
    expect(failed.length).toBeGreaterThan(0);
    const pct = (x: number) => `${Number((x * 100).toPrecision(3))}%`;
    const words: Record<string, string> = {
      range: 'out of range',
      allowed: 'not allowed',
      missing: 'missing',
      newCategories: 'in new categories',
    };
    // One reason names every failed check, in order.
    expect(evaluation.body.reasons).toContain(
      `quality: ${failed.map((c) => `${c.feature} ${words[c.check]} ${pct(c.value)} > ${pct(c.limit)}`).join('; ')}`,
    );

    // The evaluation report and the approval page list the checks.
    const rangeCheck = quality.checks[0] as (typeof quality.checks)[number];
    const row = `<td>age</td><td>out of range</td><td>${pct(rangeCheck.value)}</td><td>≤ 1%</td>`;
    const report = await linkedPage('dsl@example.com', '(quality)', '/report');
    expect(report).toContain('<h2 id="quality">Data quality</h2>');
    expect(report).toContain(`${row}<td><span class="badge drift">fail</span></td>`);
    const approval = await linkedPage('dsl@example.com', 'quality', '/approvals/');
    expect(approval).toContain('<h3>Data quality</h3>');
    expect(approval).toContain(`${row}<td><span class="verdict bad">fail</span></td>`);
  });

  it('passes clean data, and a rule declared after the data arrived judges only what it can', async () => {
    // Baseline records are clean by construction (ages 20 to 80, known plans, nothing missing).
    const clean = quality.baseline.slice(0, 800);
    const rules = [
      { name: 'age', type: 'numerical', quality: { min: 18, max: 90, maxMissingShare: 0 } },
      {
        name: 'plan',
        type: 'categorical',
        quality: { allowed: ['basic', 'plus', 'pro', 'legacy'], maxNewCategoryShare: 0 },
      },
    ];
    await setUp('clean', rules, undefined, quality.baseline);
    await send('clean', clean);
    const ok = await api.call('POST', '/v1/models/clean/evaluations');
    expect(ok.body.reasons).toEqual([]);
    expect(ok.body.status).toBe('ok');
    expect(ok.body.quality).toEqual([
      { feature: 'age', check: 'range', value: 0, limit: 0, ok: true },
      { feature: 'age', check: 'missing', value: 0, limit: 0, ok: true },
      { feature: 'plan', check: 'allowed', value: 0, limit: 0, ok: true },
      { feature: 'plan', check: 'newCategories', value: 0, limit: 0, ok: true },
    ]);

    // The same data under a model registered without rules, the rules added afterwards.
    await setUp(
      'later',
      rules.map(({ name, type }) => ({ name, type })),
      undefined,
      quality.baseline,
    );
    await send('later', quality.window);
    const model = (await api.call('GET', '/v1/models/later')).body;
    const updated = await api.call('PUT', '/v1/models/later', {
      body: {
        name: model.name,
        owner: model.owner,
        task: model.task,
        features: rules,
        schedule: model.schedule,
        approvers,
      },
    });
    expect(updated.status).toBe(200);
    const later = await api.call('POST', '/v1/models/later/evaluations');
    const byCheck = Object.fromEntries(
      later.body.quality.map((c: { feature: string; check: string }) => [`${c.feature}.${c.check}`, c]),
    );
    expect(byCheck['age.range']).toMatchObject({ value: null, ok: null, skipped: 'not-counted' });
    expect(byCheck['plan.allowed']).toMatchObject({ value: null, ok: null, skipped: 'not-counted' });
    // Missing values and new categories come from the drift counters: exact for data counted before the rule.
    const expected = (check: string) =>
      quality.checks.find((c) => c.check === check && c.feature === 'age')?.value;
    expect(byCheck['age.missing']).toEqual({
      feature: 'age',
      check: 'missing',
      value: expected('missing'),
      limit: 0,
      ok: false,
    });
    expect(byCheck['plan.newCategories']).toEqual({
      feature: 'plan',
      check: 'newCategories',
      value: quality.checks.find((c) => c.check === 'newCategories')?.value,
      limit: 0,
      ok: false,
    });
    expect(later.body.status).toBe('breach');
  });

  it('refuses a bad rule with 400 naming the field, and writes nothing', async () => {
    const response = await api.call('PUT', '/v1/models/badrule', {
      body: {
        name: 'bad',
        owner: 'ds@example.com',
        task: 'classification',
        features: [{ name: 'age', type: 'numerical', quality: { min: 90, max: 18 } }],
        thresholds: { datasetDrift: { rule: 'fdr', alpha: 2 } },
        approvers,
      },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual([
      'features[0].quality.max',
      'thresholds.datasetDrift.alpha',
    ]);
    expect((await api.call('GET', '/v1/models/badrule')).status).toBe(404);
  });
});
