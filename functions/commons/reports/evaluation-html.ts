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
import { seasonalSection } from './seasonal-html.ts';
import { TREND_EVALUATIONS, trendsSection } from './trends.ts';
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

/**
 * The HTML report of an evaluation: per feature, the baseline's and the window's distributions
 * as charts, the statistics and the verdict, drawn by the same renderer as `vigil drift --format
 * html`; after the summary, the model's trends over its evaluations up to this one.
 */
export async function evaluationReportHtml(
  model: ModelRecord,
  evaluation: EvaluationRecord,
): Promise<string> {
  const [charts, baseline, trends] = await Promise.all([
    evaluationCharts(model, evaluation),
    getBaseline(model.modelId, evaluation.baselineVersion),
    trendsUpTo(model, evaluation),
  ]);
  return renderHtmlReport(
    {
      reference: { path: `baseline ${evaluation.baselineVersion}`, rows: baseline?.records ?? 0 },
      current: { path: `${evaluation.windowStart} – ${evaluation.windowEnd}`, rows: evaluation.samples },
      columns: evaluation.drift.columns,
      dataset: evaluation.drift.dataset,
    },
    charts,
    {
      title: `Vigil evaluation of ${model.name} (${model.modelId}): ${evaluation.status}`,
      sections:
        html`${segmentsTable(evaluation)}${qualityReportSection(evaluation.quality)}${seasonalSection(evaluation)}${versionsSection(evaluation)}
<section class="trends-section" aria-labelledby="trends">
<h2 id="trends">Trends up to this evaluation</h2>
${trendsSection(trends, 'h3')}
</section>
${estimatedPerformanceSection(evaluation)}`.value,
    },
  );
}
