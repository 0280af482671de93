import { html, type SafeHtml, table } from '../html/layout.ts';
import type { QualityCheck } from '../quality/checks.ts';

/**
 * Data-quality checks and the false discovery rate rule in the evaluation report and on the
 * approval pages (docs/drift.md, "Data-quality rules" and "False discovery rate").
 */

const CHECK_NAMES: Record<QualityCheck['check'], string> = {
  range: 'out of range',
  allowed: 'not allowed',
  missing: 'missing',
  newCategories: 'new categories',
};

const SKIPPED: Record<NonNullable<QualityCheck['skipped']>, string> = {
  'no-values': 'no values in the window',
  'not-counted': 'not counted: the data arrived before the rule',
  'untracked-categories': 'the baseline tracks only its most common categories',
};

const percent = (share: number | null) => (share === null ? '–' : `${Number((share * 100).toPrecision(3))}%`);

/** The checks' rows: feature, check, observed share, limit, and the verdict as given markup. */
function rows(checks: readonly QualityCheck[], verdict: (check: QualityCheck) => SafeHtml) {
  return checks.map((check) => [
    check.feature,
    CHECK_NAMES[check.check],
    percent(check.value),
    `≤ ${percent(check.limit)}`,
    verdict(check),
  ]);
}

/** The checks as a section of the evaluation's HTML report (the drift report's styles). */
export function qualityReportSection(checks: readonly QualityCheck[] | undefined): SafeHtml {
  if (!checks?.length) return html``;
  const badge = (check: QualityCheck) =>
    check.ok === null
      ? html`<span class="badge none">not judged</span> ${SKIPPED[check.skipped ?? 'no-values']}`
      : check.ok
        ? html`<span class="badge stable">pass</span>`
        : html`<span class="badge drift">fail</span>`;
  return html`<section class="quality-section" aria-labelledby="quality">
<h2 id="quality">Data quality</h2>
<p>Share of the window's values per check, against the feature's rule; a failed check is a breach.</p>
${table('Data-quality checks', ['Feature', 'Check', 'Observed', 'Limit', 'Verdict'], rows(checks, badge))}
</section>`;
}

/** The checks as a table of an approval page (the page layout's styles). */
export function qualityApprovalTable(checks: readonly QualityCheck[] | undefined): SafeHtml {
  if (!checks?.length) return html``;
  const verdict = (check: QualityCheck) =>
    check.ok === null
      ? html`<span class="muted">not judged: ${SKIPPED[check.skipped ?? 'no-values']}</span>`
      : check.ok
        ? html`<span class="verdict good">pass</span>`
        : html`<span class="verdict bad">fail</span>`;
  return html`<h3>Data quality</h3>
${table('Data-quality checks', ['Feature', 'Check', 'Observed', 'Limit', 'Verdict'], rows(checks, verdict))}`;
}

/** The dataset rule in words, for a dataset block decided by false discovery rate; else empty. */
export function fdrRuleText(dataset: {
  rule?: string;
  alpha?: number;
  rejectedColumns?: number;
  columns: number;
}): string {
  if (dataset.rule !== 'fdr') return '';
  return `Benjamini–Hochberg at false discovery rate ${dataset.alpha}: ${dataset.rejectedColumns} of ${dataset.columns} features rejected`;
}
