import { METHOD_NAMES } from '#drift/html';
import type { ColumnDrift } from '#drift/types';
import type { EvaluationRecord } from '../evaluation/store.ts';
import { html, type SafeHtml } from '../html/layout.ts';
import type { ModelRecord } from '../registry/store.ts';
import { estimatedTrends } from './cbpe-html.ts';
import { formatValue, type TimeMarker, type TrendPoint, trendFigure } from './charts.ts';

/** Evaluations a trend goes back over. */
export const TREND_EVALUATIONS = 30;

/** Drift methods whose score is a p-value: drift below the threshold, not above. */
const P_VALUE_METHODS: ReadonlySet<ColumnDrift['method']> = new Set(['ks', 'chiSquare']);

/** What a model's trends are drawn from. */
export interface TrendData {
  readonly model: Pick<ModelRecord, 'thresholds'>;
  /** The model's evaluations, in any order. */
  readonly evaluations: readonly EvaluationRecord[];
  /** When the model's incidents opened. */
  readonly incidents: readonly { readonly incidentId: string; readonly openedAt: string }[];
}

/** What the trends draw: by default every feature's drift, the performance and the samples. */
export interface TrendOptions {
  /** Draw the drift of these features only. */
  readonly features?: readonly string[];
  /** Markup after the drift charts, such as a note of the features left out. */
  readonly afterDrift?: SafeHtml;
  /** Leave out the performance and samples charts. */
  readonly driftOnly?: boolean;
}

/** The three groups of trend charts: drift per feature, performance per metric, samples. */
export interface Trends {
  readonly drift: SafeHtml[];
  readonly performance: SafeHtml[];
  readonly samples: SafeHtml;
}

/**
 * Trends over the model's evaluations, oldest to newest: each feature's drift score with its
 * threshold, each performance metric with its minimum (or maximum), the samples per window with
 * the minimum a verdict needs; the incidents that opened in that span marked on every time axis.
 */
export function modelTrends(data: TrendData, options: TrendOptions = {}): Trends {
  const evaluations = [...data.evaluations].sort((a, b) => a.windowEnd.localeCompare(b.windowEnd));
  const first = evaluations[0]?.windowStart ?? '';
  const markers: TimeMarker[] = data.incidents
    .filter((incident) => incident.openedAt >= first)
    .map((incident) => ({ at: incident.openedAt, label: 'incident' }));

  const features = new Map<string, ColumnDrift>();
  for (const evaluation of evaluations)
    for (const column of evaluation.drift.columns) features.set(column.name, column);
  const drawn = options.features && new Set(options.features);
  const shown = [...features.values()].filter((latest) => !drawn || drawn.has(latest.name));
  const drift = shown.map((latest) => {
    const pValue = P_VALUE_METHODS.has(latest.method);
    const points: TrendPoint[] = evaluations.flatMap((evaluation) => {
      const column = evaluation.drift.columns.find((c) => c.name === latest.name);
      return column ? [{ at: evaluation.windowEnd, value: column.score, flagged: column.drifted }] : [];
    });
    const rule = pValue ? 'drift below' : 'drift at or above';
    return trendFigure(
      html`${latest.name}<span class="note">${METHOD_NAMES[latest.method]}${pValue ? ' p-value' : ''}; ${rule} the dashed line (${formatValue(latest.threshold)})</span>`,
      {
        title: `Drift score of ${latest.name} per evaluation`,
        points,
        threshold: { value: latest.threshold, label: 'threshold' },
        markers,
        ...(pValue ? { atLeast: 1 } : {}),
      },
    );
  });

  const bounds = data.model.thresholds.performance;
  const metricNames = new Set<string>(Object.keys(bounds));
  for (const evaluation of evaluations) {
    for (const [name, value] of Object.entries(evaluation.performance.fromActuals.metrics))
      if (value !== null) metricNames.add(name);
  }
  const performance = [...metricNames].map((metric) => {
    const bound = bounds[metric];
    const points: TrendPoint[] = evaluations.map((evaluation) => {
      const check = evaluation.performance.checks.find((c) => c.metric === metric);
      const value =
        check?.value ??
        evaluation.performance.fromActuals.metrics[metric] ??
        evaluation.performance.points[metric]?.mean ??
        null;
      return { at: evaluation.windowEnd, value, flagged: check?.ok === false };
    });
    const threshold =
      bound?.min !== undefined
        ? { value: bound.min, label: 'minimum' }
        : bound?.max !== undefined
          ? { value: bound.max, label: 'maximum' }
          : undefined;
    const note = threshold
      ? `${threshold.label} ${formatValue(threshold.value)} (dashed line)`
      : 'no threshold';
    return trendFigure(html`${metric}<span class="note">${note}</span>`, {
      title: `${metric} per evaluation`,
      points,
      ...(threshold ? { threshold } : {}),
      markers,
    });
  });

  performance.push(...estimatedTrends(data.model, evaluations, markers));
  const minSamples = evaluations[evaluations.length - 1]?.minSamples;
  const samples = trendFigure(
    html`Samples per window<span class="note">${minSamples !== undefined ? `minimum ${minSamples} for a verdict (dashed line)` : ''}</span>`,
    {
      title: 'Predictions per evaluation window',
      kind: 'bars',
      points: evaluations.map((evaluation) => ({
        at: evaluation.windowEnd,
        value: evaluation.samples,
        flagged: evaluation.samples < evaluation.minSamples,
      })),
      ...(minSamples !== undefined ? { threshold: { value: minSamples, label: 'minimum' } } : {}),
      markers,
    },
  );
  return { drift, performance, samples };
}

/** The trends as one block of headed grids, for the dashboard's model page and the report. */
export function trendsSection(
  data: TrendData,
  heading: 'h2' | 'h3' = 'h2',
  options: TrendOptions = {},
): SafeHtml {
  if (data.evaluations.length === 0) return html`<p class="muted">No evaluation yet: nothing to draw.</p>`;
  const trends = modelTrends(data, options);
  const title = (text: string) => (heading === 'h2' ? html`<h2>${text}</h2>` : html`<h3>${text}</h3>`);
  return html`<p class="muted">The last ${data.evaluations.length} evaluation${data.evaluations.length === 1 ? '' : 's'}, oldest on the left; red dots broke their threshold, dashed red lines are the thresholds, purple lines mark incidents opening.</p>
${title('Drift per feature')}
<div class="trends">${trends.drift.length ? trends.drift : html`<p class="muted">No feature drift recorded.</p>`}</div>${options.afterDrift ?? ''}${
    options.driftOnly
      ? ''
      : html`
${title('Performance')}
<div class="trends">${trends.performance.length ? trends.performance : html`<p class="muted">No performance recorded: no actuals joined and no metric sent.</p>`}${trends.samples}</div>`
  }`;
}
