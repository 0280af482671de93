import type { SeasonalColumn } from '../evaluation/seasonal.ts';
import type { EvaluationRecord } from '../evaluation/store.ts';
import { html, type SafeHtml } from '../html/layout.ts';

const fmt = (x: number | null) => (x === null ? 'no data' : Number(x.toPrecision(3)).toString());

/**
 * The report's account of a sporadic or seasonal model's evaluation: the window it grew back to,
 * and each feature against the window one lag earlier beside its verdict against the baseline.
 * Empty for an evaluation that used neither.
 */
export function seasonalSection(evaluation: EvaluationRecord): SafeHtml {
  const { window, reference } = evaluation;
  if (!window?.extended && !reference) return html``;
  const grown = window?.extended
    ? html`<p>The window grew back from ${window.requested.start} to ${window.start} to reach ${evaluation.minSamples} predictions (at most to ${window.limit}).</p>`
    : html``;
  const columns = evaluation.drift.columns as SeasonalColumn[];
  const lagged = !reference
    ? html``
    : !reference.applied
      ? html`<p>Seasonal reference (${reference.lag} earlier, ${reference.windowStart} – ${reference.windowEnd}): not applied, ${reference.reason ?? ''}.</p>`
      : html`<p>Seasonal reference (${reference.lag} earlier, ${reference.windowStart} – ${reference.windowEnd}, ${reference.samples} predictions, mode ${reference.mode}): a feature drifts ${reference.mode === 'both' ? 'only when it drifts against the baseline and against that window' : 'when it drifts against that window'}.</p>
<table><thead><tr><th>feature</th><th>method</th><th>against the baseline</th><th>against ${reference.lag} earlier</th><th>verdict</th></tr></thead><tbody>
${columns.map(
  (c) =>
    html`<tr><td>${c.name}</td><td>${c.method}</td><td>${fmt(c.score)}${c.baselineDrifted ? ' (drift)' : ''}</td><td>${c.lagged ? `${fmt(c.lagged.score)}${c.lagged.drifted ? ' (drift)' : ''}` : 'no data'}</td><td>${c.drifted ? 'drift' : 'no drift'}</td></tr>`,
)}
</tbody></table>`;
  return html`<section aria-labelledby="seasonal">
<h2 id="seasonal">Window and seasonal reference</h2>
${grown}${lagged}
</section>`;
}
