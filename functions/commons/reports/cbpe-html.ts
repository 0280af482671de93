import { ESTIMATED_METRICS } from '../cbpe/estimate.ts';
import type { EvaluationRecord } from '../evaluation/store.ts';
import { html, type SafeHtml } from '../html/layout.ts';
import type { ModelRecord } from '../registry/store.ts';
import { formatValue, type TimeMarker, type TrendPoint, trendFigure } from './charts.ts';
import { boundText } from './performance-html.ts';

const dash = '–';

const num = (value: number | null | undefined) =>
  value === null || value === undefined || !Number.isFinite(value) ? dash : formatValue(value);

function signed(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return dash;
  return `${value > 0 ? '+' : value < 0 ? '−' : '±'}${formatValue(Math.abs(value))}`;
}

function verdict(ok: boolean | null | undefined): SafeHtml {
  if (ok === true) return html`<span class="verdict good">pass</span>`;
  if (ok === false) return html`<span class="verdict bad">breach</span>`;
  return html`<span class="verdict muted">${ok === null ? 'no data' : 'not checked'}</span>`;
}

/**
 * An evaluation's estimated performance (docs/drift.md, "Estimated performance") as a table: per
 * metric of the positive class, the estimate from calibrated scores beside the value realised
 * from the actuals joined so far, the estimate's error (estimate − realised), the bound on the
 * estimate and its verdict. Nothing for a model without a calibration. Every value is escaped.
 */
export function estimatedPerformanceTable(evaluation: EvaluationRecord): SafeHtml {
  const estimate = evaluation.estimatedPerformance;
  if (!estimate) return html``;
  const rows = ESTIMATED_METRICS.map((metric) => {
    const check = estimate.checks.find((c) => c.metric === metric);
    return html`<tr data-metric="${metric}"${check?.ok === false ? html` class="breach"` : ''}><th scope="row">${metric}</th><td class="num" data-estimated="${estimate[metric] ?? ''}">${num(estimate[metric])}</td><td class="num">${num(estimate.realised?.[metric])}</td><td class="num">${signed(estimate.error?.[metric])}</td><td>${check ? boundText(check) : dash}</td><td>${verdict(check?.ok)}</td></tr>`;
  });
  const realised = estimate.realised
    ? `realised from ${estimate.realised.samples} prediction–actual pairs joined so far`
    : 'no actual joined yet';
  const clipped = estimate.clipped.below + estimate.clipped.above;
  return html`<div class="table"><table class="estimated-performance">
<caption class="muted">Estimated performance of the positive class "${estimate.positiveClass}" from the calibrated scores of ${estimate.samples} predictions; ${realised}.${clipped > 0 ? ` ${estimate.clipped.below} score(s) below and ${estimate.clipped.above} above the calibrated range took its end values.` : ''}</caption>
<thead><tr><th scope="col">Metric</th><th scope="col" class="num">Estimated</th><th scope="col" class="num">Realised</th><th scope="col" class="num">Error</th><th scope="col">Threshold on the estimate</th><th scope="col">Verdict</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}

/** The evaluation report's section of estimated performance, or nothing. */
export function estimatedPerformanceSection(evaluation: EvaluationRecord): SafeHtml {
  if (!evaluation.estimatedPerformance) return html``;
  return html`<section class="estimated-performance-section" aria-labelledby="estimated-performance">
<h2 id="estimated-performance">Estimated performance</h2>
${estimatedPerformanceTable(evaluation)}
</section>`;
}

/**
 * Trend charts of the estimated metrics over the evaluations that have them (oldest first), each
 * with its bound; a dot is red where the estimate breached.
 */
export function estimatedTrends(
  model: Pick<ModelRecord, 'thresholds'>,
  evaluations: readonly EvaluationRecord[],
  markers: readonly TimeMarker[],
): SafeHtml[] {
  const estimated = evaluations.filter((e) => e.estimatedPerformance);
  if (estimated.length === 0) return [];
  const bounds = model.thresholds.estimatedPerformance ?? {};
  return ESTIMATED_METRICS.map((metric) => {
    const points: TrendPoint[] = estimated.map((evaluation) => {
      const estimate = evaluation.estimatedPerformance as NonNullable<
        EvaluationRecord['estimatedPerformance']
      >;
      const check = estimate.checks.find((c) => c.metric === metric);
      return { at: evaluation.windowEnd, value: estimate[metric], flagged: check?.ok === false };
    });
    const bound = bounds[metric];
    const threshold =
      bound?.min !== undefined
        ? { value: bound.min, label: 'minimum' }
        : bound?.max !== undefined
          ? { value: bound.max, label: 'maximum' }
          : undefined;
    const note = threshold
      ? `estimated; ${threshold.label} ${formatValue(threshold.value)} (dashed line)`
      : 'estimated; no threshold';
    return trendFigure(html`${metric} (estimated)<span class="note">${note}</span>`, {
      title: `Estimated ${metric} per evaluation`,
      points,
      ...(threshold ? { threshold } : {}),
      markers,
      atLeast: 1,
    });
  });
}
