import { describe, expect, it } from 'vitest';
import { analyzeDatasets } from '#drift/index';
import type { ColumnDrift } from '#drift/types';
import type { EvaluationRecord } from '../../../functions/commons/evaluation/store.ts';
import type { QualityCheck } from '../../../functions/commons/quality/checks.ts';
import type { ModelRecord } from '../../../functions/commons/registry/store.ts';
import type { EvaluationReportData } from '../../../functions/commons/reports/evaluation-html.ts';
import {
  byRelevance,
  driftSeverity,
  REPORT_PAGE_BYTES,
} from '../../../functions/commons/reports/report-bounds.ts';
import { column, evaluation as smallEvaluation } from './fixtures.ts';

// The report's module reads the stores' tables from the environment; these tests read none.
process.env.GOVERNANCE_TABLE ??= 'unit-governance';
process.env.TELEMETRY_TABLE ??= 'unit-telemetry';
const { evaluationReportPage, renderEvaluationReport } = await import(
  '../../../functions/commons/reports/evaluation-html.ts'
);

/** Lambda's largest proxy result, as JSON. */
const LAMBDA_RESPONSE_BYTES = 6_291_556;
const FEATURES = 100;
const bytes = (page: string) => Buffer.byteLength(page);
/** The proxy result the report route answers with the page, as Lambda measures it. */
const responseBytes = (page: string) =>
  bytes(
    JSON.stringify({ statusCode: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: page }),
  );

/** A name of `length` characters that a model may give (letters, digits, `_`, `.`, `-`). */
const name = (prefix: string, length: number) => prefix.padEnd(length, '_x');
/** A category of the longest ingest takes, every character one the page must escape. */
const category = (i: number) => `${i}`.padEnd(256, `<&"'>`);

/**
 * The largest evaluation report the model's limits allow: 100 features of 64-character names,
 * half numerical over 50 bins, half categorical with 256-character categories of characters the
 * page escapes (new and missing categories listed as a stored evaluation lists them), all
 * drifted; 400 data-quality checks; 153 segments; 21 served versions of 128 characters; the
 * seasonal reference; the estimated performance; trends over 30 evaluations of the 100 features
 * and 50 metric thresholds, with 30 incidents marked.
 */
function worstCase() {
  const names = Array.from({ length: FEATURES }, (_, i) => name(`f${String(i).padStart(3, '0')}`, 64));
  const numerical = names.slice(0, FEATURES / 2);
  const categorical = names.slice(FEATURES / 2);
  const row = (i: number, shift: number) =>
    Object.fromEntries([
      ...numerical.map((n) => [n, i + shift]),
      ...categorical.map((n) => [n, category((i % 40) + shift)]),
    ]);
  const reference = Array.from({ length: 400 }, (_, i) => row(i, 0));
  const current = Array.from({ length: 400 }, (_, i) => row(i, 20));
  const { report, charts } = analyzeDatasets(reference, current, {
    bins: 50,
    columnTypes: Object.fromEntries(categorical.map((n) => [n, 'categorical' as const])),
  });
  // As a stored evaluation lists them: 10 categories of 64 characters at most.
  const columns = report.columns.map((c) =>
    c.type === 'categorical' && c.stats
      ? ({
          ...c,
          stats: {
            ...c.stats,
            newCategories: (c.stats as { newCategories: string[] }).newCategories
              .slice(0, 10)
              .map((s) => s.slice(0, 64)),
            missingCategories: (c.stats as { missingCategories: string[] }).missingCategories
              .slice(0, 10)
              .map((s) => s.slice(0, 64)),
          },
        } as ColumnDrift)
      : c,
  );
  const metrics = Array.from({ length: 50 }, (_, i) => name(`m${i}`, 64));
  const model = {
    modelId: name('model', 128),
    name: `${'<'.repeat(200)}`,
    thresholds: { performance: Object.fromEntries(metrics.map((m) => [m, { min: 0.8 }])) },
  } as unknown as ModelRecord;
  const hour = (i: number) => new Date(Date.UTC(2026, 2, 1, i)).toISOString();
  const quality: QualityCheck[] = names.flatMap((feature) =>
    (['range', 'allowed', 'missing', 'newCategories'] as const).map((check) => ({
      feature,
      check,
      value: 0.123456,
      limit: 0.01,
      ok: false,
    })),
  );
  const segments = Array.from({ length: 153 }, (_, i) => ({
    feature: names[i % 3] as string,
    value: category(i),
    samples: 1000 + i,
    referenceRecords: 5000,
    status: 'breach' as const,
    dataset: { columns: FEATURES, driftedColumns: FEATURES, driftedShare: 1, drifted: true },
    drifted: names
      .slice(0, 10)
      .map((n) => ({ name: n, method: 'psi' as const, score: 1.2345, threshold: 0.2 })),
    performance: { samples: 100, metrics: { accuracy: 0.5 } },
  }));
  const latest: EvaluationRecord = {
    ...smallEvaluation(hour(30), {
      columns,
      checks: metrics.map((metric) => ({ metric, value: 0.5, min: 0.8, ok: false })),
    }),
    modelId: model.modelId,
    status: 'breach',
    quality,
    segments,
    segmentCounts: { total: 153, listed: 153, breach: 153, ok: 0, insufficient_data: 0 },
    versions: Array.from({ length: 21 }, (_, i) => ({
      version: name(`${i}.0.0-`, 128),
      predictions: 100 + i,
    })),
    productionVersion: name('0.0.0-', 128),
    reference: {
      lag: '7d',
      mode: 'both',
      windowStart: hour(-168),
      windowEnd: hour(-167),
      samples: 500,
      applied: true,
    },
    drift: {
      ...smallEvaluation(hour(30)).drift,
      columns: columns.map((c) => ({ ...c, baselineDrifted: true, lagged: { score: 0.5, drifted: true } })),
      dataset: report.dataset,
    },
  } as EvaluationRecord;
  const evaluations = [
    latest,
    ...Array.from({ length: 29 }, (_, i) =>
      smallEvaluation(hour(29 - i), {
        columns: columns.map((c) => ({ ...c, score: (c.score ?? 0) / (i + 2) })),
        checks: metrics.map((metric) => ({ metric, value: 0.5 + i / 100, min: 0.8, ok: false })),
      }),
    ),
  ];
  const data: EvaluationReportData = {
    charts,
    baselineRecords: 400,
    trends: {
      model,
      evaluations,
      incidents: Array.from({ length: 30 }, (_, i) => ({ incidentId: `inc_${i}`, openedAt: hour(i) })),
    },
  };
  return { model, evaluation: latest, data };
}

const href = (feature: string) => `?feature=${encodeURIComponent(feature)}`;

describe('the evaluation report page bounded in bytes', () => {
  const { model, evaluation, data } = worstCase();
  const whole = renderEvaluationReport(model, evaluation, data);
  const page = evaluationReportPage(model, evaluation, data, { featureHref: href });

  it('draws every feature of the largest model past Lambda’s limit when unbounded, and stays under its budget bounded', () => {
    console.info(
      `worst-case evaluation report: ${bytes(whole).toLocaleString('en-US')} bytes whole (response ${responseBytes(whole).toLocaleString('en-US')}); ${bytes(page).toLocaleString('en-US')} bytes bounded (response ${responseBytes(page).toLocaleString('en-US')}), ${page.match(/<svg class="chart"/g)?.length} of ${FEATURES} features drawn`,
    );
    // Unbounded, the page of every feature is past what Lambda answers.
    expect(whole.match(/<svg class="chart"/g)).toHaveLength(FEATURES);
    expect(responseBytes(whole)).toBeGreaterThan(LAMBDA_RESPONSE_BYTES);
    // Bounded, it is within its budget and far below the limit.
    expect(bytes(page)).toBeLessThanOrEqual(REPORT_PAGE_BYTES);
    expect(responseBytes(page)).toBeLessThan(LAMBDA_RESPONSE_BYTES / 2);
  });

  it('keeps what it always shows, every feature’s row in the summary included, below the budget', () => {
    const empty = renderEvaluationReport(model, evaluation, data, { features: [] });
    const parts: Record<string, number> = { withoutFeatures: bytes(empty) };
    for (const id of ['summary', 'segments', 'quality', 'seasonal', 'versions', 'trends']) {
      const section = empty.match(new RegExp(`<section[^>]*aria-labelledby="${id}"[\\s\\S]*?</section>`));
      parts[id] = bytes(section?.[0] ?? '');
    }
    console.info(`worst-case report without any feature drawn, by section: ${JSON.stringify(parts)}`);
    expect(empty).not.toContain('<svg class="chart"');
    expect(bytes(empty)).toBeLessThan(REPORT_PAGE_BYTES);
  });

  it('draws the most relevant features first and lists every other one, linked to its own page', () => {
    const drawn = [...page.matchAll(/<svg class="chart" data-column="([^"]+)"/g)].map((m) => m[1]);
    expect(drawn.length).toBeGreaterThan(0);
    expect(drawn).toEqual(byRelevance(evaluation.drift.columns).slice(0, drawn.length));
    const left = FEATURES - drawn.length;
    expect(page).toContain(`data-omitted="${left}"`);
    // Every feature stays in the summary; those not drawn link to their own page.
    for (const c of evaluation.drift.columns) {
      const linked = drawn.includes(c.name) ? '#column-' : `?feature=${c.name}`;
      expect(page).toContain(`<a href="${linked}`);
      expect(page).toContain(`>${c.name}</a>`);
    }
    // Drift trends for the drawn features only; the performance trends are all there.
    expect(page.match(/Drift score of /g)).toHaveLength(drawn.length * 2);
    expect(page).toContain(`${left} more features not drawn on this page`);
    // Everything else the report shows is still there.
    for (const section of ['id="segments"', 'id="quality"', 'id="seasonal"', 'id="versions"', 'id="trends"'])
      expect(page).toContain(section);
  });

  it('draws one feature on its own page, with its quality checks and its drift trend', () => {
    const feature = evaluation.drift.columns[70]?.name as string;
    const own = evaluationReportPage(model, evaluation, data, { feature, featureHref: href });
    console.info(`worst-case page of one feature: ${bytes(own).toLocaleString('en-US')} bytes`);
    expect(bytes(own)).toBeLessThanOrEqual(REPORT_PAGE_BYTES);
    expect([...own.matchAll(/<svg class="chart" data-column="([^"]+)"/g)].map((m) => m[1])).toEqual([
      feature,
    ]);
    expect(own.match(/<tr><td>([^<]+)<\/td><td>/g)?.every((row) => row.includes(feature))).toBe(true);
    expect(own.match(/Drift score of /g)).toHaveLength(2);
    expect(own).toContain(`Drift score of ${feature} per evaluation`);
    expect(own).not.toContain('id="segments"');
    expect(own).toContain(`data-omitted="${FEATURES - 1}"`);
  });

  it('leaves the links out where no page of a feature is given', () => {
    const unlinked = evaluationReportPage(model, evaluation, data);
    expect(bytes(unlinked)).toBeLessThanOrEqual(REPORT_PAGE_BYTES);
    expect(unlinked).not.toContain('?feature=');
    expect(unlinked).toMatch(
      /\d+ more features not drawn on this page \(their scores and verdicts are in the summary, their statistics in the evaluation's JSON\)/,
    );
  });
});

describe('a small evaluation report', () => {
  it('is the whole page, every feature in order, with no note', () => {
    const columns = [column('age', 'psi', 0.05, 0.2, false), column('plan', 'chiSquare', 0.001, 0.05, true)];
    const evaluation = smallEvaluation('2026-03-01T03:00:00.000Z', { columns });
    const model = {
      modelId: 'churn',
      name: 'Churn',
      thresholds: { performance: {} },
    } as unknown as ModelRecord;
    const data = {
      charts: [],
      baselineRecords: 10,
      trends: { model, evaluations: [evaluation], incidents: [] },
    };
    const page = evaluationReportPage(model, evaluation, data, { featureHref: href });
    expect(page).toBe(renderEvaluationReport(model, evaluation, data));
    expect(page).not.toContain('data-omitted');
    expect(page).not.toContain('?feature=');
    expect([...page.matchAll(/<h2 id="column-(\d)">(\w+)/g)].map((m) => m[2])).toEqual(['age', 'plan']);
  });
});

describe('relevance of a feature', () => {
  it('puts the drifted first, then the furthest past or nearest its threshold', () => {
    const columns = [
      column('calm', 'psi', 0.01, 0.2, false),
      column('near', 'ks', 0.06, 0.05, false),
      column('far', 'psi', 0.8, 0.2, true),
      column('tiny', 'ks', 1e-9, 0.05, true),
      column('none', 'psi', 0, 0.2, false),
    ];
    expect(byRelevance(columns)).toEqual(['tiny', 'far', 'near', 'calm', 'none']);
    expect(driftSeverity({ method: 'ks', score: 0, threshold: 0.05 })).toBe(Number.POSITIVE_INFINITY);
    expect(driftSeverity({ method: 'psi', score: null, threshold: 0.2 })).toBe(Number.NEGATIVE_INFINITY);
    expect(driftSeverity({ method: 'psi', score: 0.4, threshold: 0.2 })).toBe(2);
  });
});
