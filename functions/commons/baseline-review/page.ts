import { facts, html, type SafeHtml, table } from '#commons/html/layout';
import type { IncidentRecord } from '../incidents/types.ts';

/**
 * What the approval pages of a baseline review show: the baseline under review, and the new
 * baseline the AI Dev Team fitted (for QA), its metrics beside the reviewed one's version.
 */
export function baselineReviewSection(incident: IncidentRecord): SafeHtml {
  const review = incident.baselineReview;
  if (!review) return html``;
  const fitted = review.newBaseline;
  return html`<h2>Baseline under review</h2>
${facts([
  ['Baseline version', review.baselineVersion],
  ['Fitted', review.fittedAt],
  ['Last reviewed', review.reviewedAt ?? 'never'],
  ['Review period', `${review.reviewDays} days`],
  ['Due since', review.dueAt],
  ['Outcome', review.outcome],
])}
${
  fitted
    ? html`<h2>New baseline ${fitted.baselineVersion}</h2>
${facts([
  ['Fitted', `${fitted.createdAt} by ${fitted.submittedBy}`],
  ['Reference records', fitted.records],
  [
    'In use',
    review.adoptedAt ? `since ${review.adoptedAt}` : 'not yet: evaluations use it once QA approves it',
  ],
])}
${
  Object.keys(fitted.metrics).length
    ? table(
        'Metrics recorded with the new baseline',
        ['Metric', 'Value'],
        Object.entries(fitted.metrics).map(([name, value]) => [name, value]),
      )
    : html`<p class="muted">No metrics were recorded with it.</p>`
}`
    : ''
}`;
}
