import type { ColumnChart } from '#drift/charts';
import { renderHtmlReport } from '#drift/html';
import { type EvaluationRecord, listEvaluations } from '../evaluation/store.ts';
import { html } from '../html/layout.ts';
import { listIncidents } from '../incidents/store.ts';
import { getBaseline } from '../registry/baseline-reads.ts';
import type { ModelRecord } from '../registry/store.ts';
import { segmentsTable } from '../segments/html.ts';
import { estimatedPerformanceSection } from './cbpe-html.ts';
import { evaluationCharts } from './distributions.ts';
import { qualityReportSection } from './quality-html.ts';
import { boundedReport, omittedNote, type ReportView } from './report-bounds.ts';
import { seasonalSection } from './seasonal-html.ts';
import { TREND_EVALUATIONS, type TrendData, trendsSection } from './trends.ts';
import { versionsSection } from './versions.ts';

/**
 * The model's evaluations up to and including `evaluation`, and its incidents opened in their
 * span (read from the index by opening time), for trends.
 */
async function trendsUpTo(model: ModelRecord, evaluation: EvaluationRecord) {
  const evaluations = await listEvaluations(model.modelId, {
    to: evaluation.windowEnd,
    limit: TREND_EVALUATIONS,
  });
  // Newest window first: the last one starts the trend's span (as `modelTrends` draws it).
  const first = evaluations.at(-1)?.windowStart ?? evaluation.windowStart;
  const incidents = await listIncidents({
    modelId: model.modelId,
    opened: { from: first, to: evaluation.createdAt },
    limit: TREND_EVALUATIONS,
  });
  return { model, evaluations, incidents };
}

/** What an evaluation's report is drawn from, read from the stores. */
export interface EvaluationReportData {
  readonly charts: readonly ColumnChart[];
  readonly baselineRecords: number;
  readonly trends: TrendData;
}

/** Reads what the report of `evaluation` draws: the charts of its features (or of those named). */
export async function evaluationReportData(
  model: ModelRecord,
  evaluation: EvaluationRecord,
  columns?: readonly string[],
): Promise<EvaluationReportData> {
  const [charts, baseline, trends] = await Promise.all([
    evaluationCharts(model, evaluation, columns),
    getBaseline(model.modelId, evaluation.baselineVersion),
    trendsUpTo(model, evaluation),
  ]);
  return { charts, baselineRecords: baseline?.records ?? 0, trends };
}

/**
 * The HTML report of an evaluation: per feature, the baseline's and the window's distributions
 * as charts, the statistics and the verdict, drawn by the same renderer as `vigil drift --format
 * html`; after the summary, the model's trends over its evaluations up to this one. Bounded in
 * bytes (report-bounds.ts): past its budget, the most drifted features are drawn and the others
 * listed, each linked to `featureHref` when given; `feature` draws that one alone.
 */
export async function evaluationReportHtml(
  model: ModelRecord,
  evaluation: EvaluationRecord,
  options: { readonly feature?: string; readonly featureHref?: (name: string) => string } = {},
): Promise<string> {
  const { feature } = options;
  const data = await evaluationReportData(model, evaluation, feature === undefined ? undefined : [feature]);
  return evaluationReportPage(model, evaluation, data, options);
}

/** The report's page within its budget (report-bounds.ts), or the page of one `feature`. */
export function evaluationReportPage(
  model: ModelRecord,
  evaluation: EvaluationRecord,
  data: EvaluationReportData,
  options: { readonly feature?: string; readonly featureHref?: (name: string) => string } = {},
): string {
  const { feature, featureHref } = options;
  const links = featureHref ? { featureHref } : {};
  if (feature !== undefined) return renderEvaluationReport(model, evaluation, data, { feature, ...links });
  return boundedReport(evaluation.drift.columns, (features) =>
    renderEvaluationReport(model, evaluation, data, { ...(features ? { features } : {}), ...links }),
  );
}

/**
 * The report's page from its data: every feature's section and trend (the default), the
 * sections of `features` only with a note of the others, or the page of one `feature`.
 */
export function renderEvaluationReport(
  model: ModelRecord,
  evaluation: EvaluationRecord,
  data: EvaluationReportData,
  view: ReportView = {},
): string {
  const { charts, baselineRecords, trends } = data;
  const features = view.feature !== undefined ? [view.feature] : view.features;
  const left = omittedNote(evaluation.drift.columns, features, view.featureHref);
  const trendOptions = {
    ...(features ? { features } : {}),
    ...(left ? { afterDrift: left } : {}),
    ...(view.feature !== undefined ? { driftOnly: true } : {}),
  };
  const trendsBlock = html`
<section class="trends-section" aria-labelledby="trends">
<h2 id="trends">Trends up to this evaluation</h2>
${trendsSection(trends, 'h3', trendOptions)}
</section>`;
  return renderHtmlReport(
    {
      reference: { path: `baseline ${evaluation.baselineVersion}`, rows: baselineRecords },
      current: { path: `${evaluation.windowStart} – ${evaluation.windowEnd}`, rows: evaluation.samples },
      columns: evaluation.drift.columns,
      dataset: evaluation.drift.dataset,
    },
    charts,
    {
      title: `Vigil evaluation of ${model.name} (${model.modelId}): ${evaluation.status}`,
      sections:
        view.feature !== undefined
          ? html`${qualityReportSection(evaluation.quality?.filter((check) => check.feature === view.feature))}${trendsBlock}`
              .value
          : html`${segmentsTable(evaluation)}${qualityReportSection(evaluation.quality)}${seasonalSection(evaluation)}${versionsSection(evaluation)}${trendsBlock}
${estimatedPerformanceSection(evaluation)}`.value,
      ...(features ? { columnSections: features } : {}),
      ...(view.featureHref ? { columnHref: view.featureHref } : {}),
      ...(left ? { afterColumns: html`<section class="omitted">${left}</section>`.value } : {}),
    },
  );
}
