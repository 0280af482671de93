import type { EvaluationRecord } from '../evaluation/store.ts';
import { chartColours } from '../html/chart-styles.ts';
import { html, type SafeHtml } from '../html/layout.ts';
import type { ValidationReport } from '../incidents/types.ts';
import { formatValue } from './charts.ts';

type Check = EvaluationRecord['performance']['checks'][number];

const dash = '–';

function num(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? dash : formatValue(value);
}

function cell(value: number | null | undefined): SafeHtml {
  return html`<td class="num">${num(value)}</td>`;
}

/** The bound a metric is held to, in words: `≥ 0.8`, `≤ 0.3`, `drop ≤ 5% of baseline`. */
export function boundText(bound: { min?: number; max?: number; maxRelativeDrop?: number }): string {
  const parts: string[] = [];
  if (bound.min !== undefined) parts.push(`≥ ${formatValue(bound.min)}`);
  if (bound.max !== undefined) parts.push(`≤ ${formatValue(bound.max)}`);
  if (bound.maxRelativeDrop !== undefined)
    parts.push(`drop ≤ ${formatValue(bound.maxRelativeDrop * 100)}% of baseline`);
  return parts.length ? parts.join(', ') : dash;
}

function verdict(ok: boolean | null | undefined): SafeHtml {
  if (ok === true) return html`<span class="verdict good">pass</span>`;
  if (ok === false) return html`<span class="verdict bad">breach</span>`;
  return html`<span class="verdict muted">${ok === null ? 'no data' : 'not checked'}</span>`;
}

/**
 * An evaluation's performance as a table: per metric, the baseline's value, the window's value,
 * the threshold and the verdict (metrics without a threshold say "not checked"); the ingested
 * metric points with their count; then, for a classification model, precision, recall and F1
 * per class. Every value is escaped.
 */
export function performanceTable(evaluation: EvaluationRecord): SafeHtml {
  const { fromActuals, points, checks } = evaluation.performance;
  const checked = new Set(checks.map((check) => check.metric));
  const unchecked = Object.entries(fromActuals.metrics).filter(([metric]) => !checked.has(metric));
  const reported = Object.entries(points).filter(([metric]) => !checked.has(metric));
  const rows = [
    ...checks.map(
      (check: Check) =>
        html`<tr data-metric="${check.metric}"${check.ok === false ? html` class="breach"` : ''}><th scope="row">${check.metric}</th>${cell(check.baseline)}${cell(check.value)}<td>${boundText(check)}</td><td>${verdict(check.ok)}</td></tr>`,
    ),
    ...unchecked.map(
      ([metric, value]) =>
        html`<tr data-metric="${metric}"><th scope="row">${metric}</th>${cell(undefined)}${cell(value)}<td>${dash}</td><td>${verdict(undefined)}</td></tr>`,
    ),
    ...reported.map(
      ([metric, point]) =>
        html`<tr data-metric="${metric}"><th scope="row">${metric} <span class="muted">(mean of ${point.count} reported)</span></th>${cell(undefined)}${cell(point.mean)}<td>${dash}</td><td>${verdict(undefined)}</td></tr>`,
    ),
  ];
  const classes = Object.entries(fromActuals.classes ?? {});
  const perClass = classes.length
    ? html`<div class="table"><table class="per-class">
<caption class="muted">Per class, from the same ${fromActuals.samples} pairs</caption>
<thead><tr><th scope="col">Class</th><th scope="col" class="num">Precision</th><th scope="col" class="num">Recall</th><th scope="col" class="num">F1</th><th scope="col" class="num">Support</th></tr></thead>
<tbody>${classes.map(
        ([label, m]) =>
          html`<tr data-class="${label}"><th scope="row">${label}</th>${cell(m.precision)}${cell(m.recall)}${cell(m.f1)}${cell(m.support)}</tr>`,
      )}</tbody>
</table></div>`
    : '';
  if (rows.length === 0)
    return html`<p class="muted">No performance in this window: no actuals joined, no metric reported, no threshold.</p>`;
  return html`<div class="table"><table class="performance">
<caption class="muted">Performance of the window: ${fromActuals.samples} prediction–actual pairs joined</caption>
<thead><tr><th scope="col">Metric</th><th scope="col" class="num">Baseline</th><th scope="col" class="num">Window</th><th scope="col">Threshold</th><th scope="col">Verdict</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>
${perClass}`;
}

const BAR_WIDTH = 180;

/** Two horizontal bars on one scale from 0: a metric's candidate (orange) against production (blue). */
export function pairedBars(
  metric: string,
  first: { readonly label: string; readonly value: number | undefined },
  second: { readonly label: string; readonly value: number | undefined },
): SafeHtml {
  const values = [first.value, second.value].filter(
    (v): v is number => v !== undefined && Number.isFinite(v),
  );
  const top = Math.max(...values.map(Math.abs), 1e-12);
  const bar = (value: number | undefined, y: number, colour: string, who: string) =>
    value === undefined
      ? html`<text x="2" y="${y + 9}">no value</text>`
      : html`<rect data-side="${who}" data-value="${value}" x="0" y="${y}" height="11" width="${Math.round((Math.abs(value) / top) * (BAR_WIDTH - 4) * 10) / 10}" fill="${colour}"><title>${who} ${formatValue(value)}</title></rect>`;
  return html`<svg class="pair" role="img" aria-label="${metric}: ${first.label} ${num(first.value)}, ${second.label} ${num(second.value)}" viewBox="0 0 ${BAR_WIDTH} 28" width="${BAR_WIDTH}" height="28" xmlns="http://www.w3.org/2000/svg">${bar(first.value, 1, chartColours.current, first.label)}${bar(second.value, 15, chartColours.reference, second.label)}</svg>`;
}

function difference(a: number | undefined | null, b: number | undefined | null): string {
  if (a === undefined || a === null || b === undefined || b === null) return dash;
  const d = a - b;
  return `${d > 0 ? '+' : d < 0 ? '−' : '±'}${formatValue(Math.abs(d))}`;
}

/**
 * QA's view of a candidate: metric by metric, the candidate's value and production's, drawn as
 * two bars, the difference, the rule it is held to and whether it passed.
 */
export function candidateComparison(report: ValidationReport): SafeHtml {
  const checks = new Map<string, ValidationReport['checks'][number][]>();
  for (const check of report.checks) checks.set(check.metric, [...(checks.get(check.metric) ?? []), check]);
  const metrics = [...new Set([...report.comparison.map((row) => row.metric), ...checks.keys()])];
  const rows = metrics.map((metric) => {
    const row = report.comparison.find((r) => r.metric === metric);
    const own = checks.get(metric) ?? [];
    const passed = own.length === 0 ? undefined : own.every((check) => check.passed);
    const rules = own.map((check) => check.message);
    return html`<tr data-metric="${metric}"${passed === false ? html` class="breach"` : ''}><th scope="row">${metric}</th>${cell(row?.candidate)}${cell(row?.production)}<td class="num">${difference(row?.candidate, row?.production)}</td><td>${pairedBars(metric, { label: 'candidate', value: row?.candidate }, { label: 'production', value: row?.production })}</td><td>${verdict(passed)}${rules.length ? html`<br><span class="muted small">${rules.join('; ')}</span>` : ''}</td></tr>`;
  });
  return html`<div class="table"><table class="comparison">
<caption class="muted">Candidate ${report.candidateVersion} (orange) against production ${report.productionVersion} (blue), metric by metric, checked ${report.checkedAt}</caption>
<thead><tr><th scope="col">Metric</th><th scope="col" class="num">Candidate</th><th scope="col" class="num">Production</th><th scope="col" class="num">Difference</th><th scope="col">Side by side</th><th scope="col">Verdict</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}

/** A metric's value in an evaluation: its check, else the joined actuals, else reported points. */
function metricValue(evaluation: EvaluationRecord, metric: string): number | null {
  const check = evaluation.performance.checks.find((c) => c.metric === metric);
  return (
    check?.value ??
    evaluation.performance.fromActuals.metrics[metric] ??
    evaluation.performance.points[metric]?.mean ??
    null
  );
}

/**
 * Operations' view of a promotion: the evaluation that opened the incident (before) and the
 * latest evaluation of the promoted version (after), metric by metric, with the samples and the
 * drifted features of each window.
 */
export function beforeAfterTable(
  before: EvaluationRecord,
  after: EvaluationRecord,
  labels: { readonly before: string; readonly after: string },
): SafeHtml {
  const metrics = [
    ...new Set([
      ...after.performance.checks.map((c) => c.metric),
      ...Object.keys(after.performance.fromActuals.metrics),
      ...before.performance.checks.map((c) => c.metric),
      ...Object.keys(before.performance.fromActuals.metrics),
    ]),
  ];
  const rows = metrics.map((metric) => {
    const check = after.performance.checks.find((c) => c.metric === metric);
    const was = metricValue(before, metric);
    const now = metricValue(after, metric);
    return html`<tr data-metric="${metric}"${check?.ok === false ? html` class="breach"` : ''}><th scope="row">${metric}</th>${cell(was)}${cell(now)}<td class="num">${difference(now, was)}</td><td>${check ? boundText(check) : dash}</td><td>${verdict(check?.ok)}</td></tr>`;
  });
  const drifted = (e: EvaluationRecord) => `${e.drift.dataset.driftedColumns} of ${e.drift.dataset.columns}`;
  return html`<div class="table"><table class="before-after">
<caption class="muted">Before the promotion: ${labels.before}. After: ${labels.after}.</caption>
<thead><tr><th scope="col">Metric</th><th scope="col" class="num">Before</th><th scope="col" class="num">After</th><th scope="col" class="num">Change</th><th scope="col">Threshold</th><th scope="col">Verdict after</th></tr></thead>
<tbody>${rows}
<tr data-metric="samples"><th scope="row">Samples in the window</th>${cell(before.samples)}${cell(after.samples)}<td class="num">${difference(after.samples, before.samples)}</td><td>≥ ${after.minSamples}</td><td>${verdict(after.samples >= after.minSamples)}</td></tr>
<tr data-metric="drifted features"><th scope="row">Drifted features</th><td class="num">${drifted(before)}</td><td class="num">${drifted(after)}</td><td class="num">${dash}</td><td>${dash}</td><td>${verdict(!after.drift.dataset.drifted)}</td></tr>
</tbody>
</table></div>`;
}
