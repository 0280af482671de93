import { formatNumber, html, type SafeHtml, table } from '#commons/html/layout';
import { METHOD_NAMES } from '#drift/html';
import type { EvaluationRecord } from '../evaluation/store.ts';

const STATUS_ORDER = { breach: 0, ok: 1, insufficient_data: 2 } as const;

/**
 * An evaluation's segments as one table, breaching ones first (then by predictions): status,
 * predictions, baseline records, drifted features (the most drifted named, with method and
 * score), and accuracy or MAE from joined actuals. Nothing when the model has no segments. Used
 * by the evaluation's HTML report and the approval pages.
 */
export function segmentsTable(
  evaluation: Pick<EvaluationRecord, 'segments' | 'segmentCounts'>,
  heading: 'h2' | 'h3' = 'h2',
): SafeHtml {
  const segments = [...(evaluation.segments ?? [])].sort(
    (a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || b.samples - a.samples,
  );
  if (segments.length === 0) return html``;
  const counts = evaluation.segmentCounts;
  const caption = counts
    ? `Segments: ${counts.breach} breaching, ${counts.ok} ok, ${counts.insufficient_data} with too little data${
        counts.listed < counts.total ? ` (${counts.listed} of ${counts.total} listed)` : ''
      }`
    : 'Segments';
  const rows = segments.map((segment) => {
    const drifted = segment.drifted
      ?.map(
        (c) =>
          `${c.name} (${METHOD_NAMES[c.method] ?? c.method} ${c.score === null ? '–' : formatNumber(c.score)})`,
      )
      .join(', ');
    const metrics = segment.performance.metrics;
    const performance = metrics.accuracy ?? metrics.mae ?? null;
    return [
      html`<span class="segment-status ${segment.status}">${segment.status.replace('_', ' ')}</span>`,
      `${segment.feature} = ${segment.value}`,
      segment.samples,
      segment.referenceRecords,
      `${segment.dataset.driftedColumns} of ${segment.dataset.columns}`,
      drifted ?? (segment.dataset.driftedColumns > 0 ? '(not listed)' : '–'),
      performance === null ? '–' : performance,
    ];
  });
  const metricName = segments.some((s) => 'mae' in s.performance.metrics) ? 'MAE' : 'Accuracy';
  return html`<section class="segments" aria-labelledby="segments">
${heading === 'h2' ? html`<h2 id="segments">Segments</h2>` : html`<h3 id="segments">Segments</h3>`}
${table(
  caption,
  ['Status', 'Segment', 'Predictions', 'Baseline records', 'Drifted features', 'Most drifted', metricName],
  rows,
)}
</section>`;
}
