import type { APIGatewayProxyResult } from 'aws-lambda';
import { baselineReviewSection } from '#commons/baseline-review/page';
import { facts, html, page, SafeHtml, table, tableRow } from '#commons/html/layout';
import type { IncidentRecord } from '#commons/incidents/types';
import { estimatedPerformanceTable } from '#commons/reports/cbpe-html';
import { beforeAfterTable, candidateComparison, performanceTable } from '#commons/reports/performance-html';
import { fdrRuleText, qualityApprovalTable } from '#commons/reports/quality-html';
import { segmentsTable } from '#commons/segments/html';
import { distributionChartSvg, METHOD_NAMES } from '#drift/html';
import { type ApprovalView, type Evidence, MAX_COMMENT, MAX_PIR_FIELD } from './decide.ts';
import {
  type DecisionRow,
  type DecisionSlice,
  earlierDecisionsLink,
  pageWithDecisions,
} from './decision-pages.ts';
import { humanSteps, isHumanStep, pirFields, roleLabels } from './steps.ts';
import type { ApprovalRecord } from './store.ts';

function stepTitle(step: string): string {
  return isHumanStep(step) ? humanSteps[step].title : step;
}

function optionLabel(step: string, option: string): string {
  if (!isHumanStep(step)) return option;
  const options: Record<string, { readonly label: string }> = humanSteps[step].options;
  return options[option]?.label ?? option;
}

function incidentSection(incident: IncidentRecord, evidence: Evidence): SafeHtml {
  const model = evidence.model;
  return html`<h2>Incident</h2>
${facts([
  ['Incident', incident.incidentId],
  ['Model', model ? `${model.name} (${model.modelId})` : incident.modelId],
  ['Owner', model?.owner],
  ['Production version', model?.productionVersion],
  ['Version when it opened', incident.version],
  ['Opened', incident.openedAt],
  ['Status', incident.status],
  ['Current step', incident.currentStep],
  ['Retraining cycles', incident.retrainingCycles],
])}
<p>Why it opened:</p>
<ul>${incident.reasons.map((reason) => html`<li>${reason}</li>`)}</ul>`;
}

function evaluationSection(evidence: Evidence): SafeHtml {
  const evaluation = evidence.evaluation;
  if (!evaluation && !evidence.incident.evaluationId) return html``;
  if (!evaluation)
    return html`<h2>Evaluation</h2><p class="muted">The evaluation ${evidence.incident.evaluationId} is not available.</p>`;
  const columns = evaluation.drift?.columns ?? [];
  const dataset = evaluation.drift?.dataset;
  const fdr = dataset?.rule === 'fdr';
  return html`<h2>Evaluation that opened the incident</h2>
${facts([
  ['Evaluation', evaluation.evaluationId],
  ['Window', `${evaluation.windowStart} to ${evaluation.windowEnd}`],
  ['Status', evaluation.status],
  [
    'Drifted features',
    dataset?.driftedColumns !== undefined
      ? `${dataset.driftedColumns} of ${dataset.columns ?? columns.length}`
      : undefined,
  ],
  ['Dataset rule', dataset ? fdrRuleText(dataset) : undefined],
])}
${
  columns.length
    ? table(
        'Drift per feature',
        ['Feature', 'Type', 'Method', 'Score', 'Threshold', 'Verdict', ...(fdr ? ['Adjusted p (BH)'] : [])],
        columns.map((column) => [
          column.name,
          column.type ?? '',
          METHOD_NAMES[column.method] ?? column.method,
          column.score ?? '–',
          column.threshold,
          column.drifted
            ? html`<span class="verdict bad">drift</span>`
            : html`<span class="verdict good">no drift</span>`,
          ...(fdr ? [column.adjustedPValue ?? '–'] : []),
        ]),
      )
    : html`<p class="muted">No per-feature drift in this evaluation.</p>`
}
${qualityApprovalTable(evaluation.quality)}
<h3>Performance</h3>
${performanceTable(evaluation)}
${estimatedPerformanceTable(evaluation)}
${segmentsTable(evaluation, 'h3')}
${driftedCharts(evidence)}`;
}

/**
 * HTML the distributions of the drifted features take at most on an approval page (one at
 * least): a chart takes up to ~61 KB (20 categories of 256 escaped characters), and a hundred of
 * them would pass Lambda's 6 MB response. The others are in the evaluation's report.
 */
export const CHART_BYTES = 300_000;

/** The reference and current distributions of each drifted feature, as the HTML report draws them. */
function driftedCharts(evidence: Evidence): SafeHtml {
  if (evidence.charts.length === 0) return html``;
  const figures: SafeHtml[] = [];
  let room = CHART_BYTES;
  for (const chart of evidence.charts) {
    const figure = html`<figure class="distribution"><figcaption>${chart.column}</figcaption>${new SafeHtml(distributionChartSvg(chart.column, chart))}</figure>`;
    const size = Buffer.byteLength(figure.value, 'utf8');
    if (figures.length > 0 && size > room) break;
    figures.push(figure);
    room -= size;
  }
  const left = evidence.charts.length - figures.length;
  return html`<h3>Distributions of the drifted features</h3>
<p class="muted">Share of values per bin or category: the baseline (blue) and the window (orange).</p>
<div class="distributions">${figures}</div>${
    left
      ? html`
<p class="muted">${left} more drifted features are not drawn here, to keep this page small: their distributions are in the evaluation's report.</p>`
      : ''
  }`;
}

function candidateSection(incident: IncidentRecord, recorded?: Evidence['revalidationReport']): SafeHtml {
  const candidate = incident.candidate;
  if (!candidate) return html``;
  const report = incident.validationReport;
  return html`<h2>Candidate ${candidate.version}</h2>
${facts([
  ['Artifact', candidate.artifactUri],
  ['Replaces production version', candidate.productionVersion],
  ['Scope, functionality or data usage changed', candidate.scopeChanged ? 'yes' : 'no'],
  ['Submitted', `${candidate.submittedAt} by ${candidate.submittedBy}`],
  ['Retraining cycle', candidate.cycle],
])}
<p>Notes of the AI Dev Team:</p>
<pre>${candidate.notes || '(none)'}</pre>
${
  report && report.candidateVersion === candidate.version
    ? html`<h2>Automated re-validation: <span class="${report.passed ? 'good' : 'bad'}">${report.passed ? 'passed' : 'failed'}</span></h2>
${recorded ? html`<p class="muted">This report is event ${recorded.seq} of the incident's hash chain, SHA-256 <code>${recorded.hash}</code>; your decision names it.</p>` : ''}
${
  report.checks.length
    ? ''
    : html`<p class="muted">The model has no performance thresholds: nothing was checked automatically.</p>`
}
${candidateComparison(report)}`
    : ''
}`;
}

function verificationSection(evidence: Evidence): SafeHtml {
  const { incident, evaluation, verification } = evidence;
  const check = incident.verification;
  if (!check || !incident.promotion) return html``;
  const verdict = {
    healthy: html`<span class="good">healthy</span>: the latest evaluation since the promotion found no breach`,
    breach: html`<span class="bad">breach</span>: the latest evaluation since the promotion breached`,
    no_data: html`<span class="muted">no data</span>: no evaluation with enough samples since the promotion`,
  }[check.status];
  return html`<h2>Automatic check of version ${incident.promotion.version}</h2>
<p>${verdict}.</p>
${facts([
  ['Promoted', `${incident.promotion.promotedAt} (previous version ${incident.promotion.previousVersion})`],
  ['Evaluation', check.evaluationId],
  ['Checked', check.checkedAt],
])}
${check.reasons.length ? html`<ul>${check.reasons.map((reason) => html`<li>${reason}</li>`)}</ul>` : ''}
${
  evaluation && verification
    ? html`<h3>Before and after the promotion</h3>
${beforeAfterTable(evaluation, verification, {
  before: `version ${incident.version}, window ${evaluation.windowStart} to ${evaluation.windowEnd}`,
  after: `version ${incident.promotion.version}, window ${verification.windowStart} to ${verification.windowEnd}`,
})}`
    : ''
}`;
}

function pirSection(incident: IncidentRecord): SafeHtml {
  const pir = incident.pir;
  if (!pir) return html``;
  return html`<h2>Post-implementation review</h2>
<p class="muted">Submitted ${pir.submittedAt} by ${pir.submittedBy}${pir.approvedBy ? `; approved ${pir.approvedAt} by ${pir.approvedBy}` : ''}.</p>
${(Object.keys(pirFields) as (keyof typeof pirFields)[]).map((field) => html`<h3>${pirFields[field]}</h3><pre>${pir[field]}</pre>`)}`;
}

function decisionRow(d: DecisionRow): SafeHtml {
  return tableRow([
    d.decidedAt,
    stepTitle(d.step),
    optionLabel(d.step, d.decision ?? ''),
    d.decidedBy,
    d.comment || '–',
  ]);
}

/**
 * The incident's decisions: all of them while they fit the page, else the newest that do and a
 * link to the earlier ones (`decision-pages.ts`). `caption` names the rows of a list that goes on.
 */
function decisionsSection(
  slice: DecisionSlice,
  caption = `The latest ${slice.rows.length} decisions of this incident`,
): SafeHtml {
  const head = ['When', 'Step', 'Decision', 'By', 'Comment'];
  if (!slice.next) {
    if (slice.rows.length === 0) return html`<h2>Earlier decisions</h2><p class="muted">None yet.</p>`;
    return html`<h2>Earlier decisions</h2>
${table('Every decision of this incident so far', head, slice.rows)}`;
  }
  return html`<h2>Earlier decisions</h2>
${slice.rows.length ? table(caption, head, slice.rows) : ''}
${earlierDecisionsLink(slice)}`;
}

function evidence(view: { readonly evidence: Evidence }, decisions: DecisionSlice): SafeHtml {
  const { incident } = view.evidence;
  return html`${verificationSection(view.evidence)}
${candidateSection(incident, view.evidence.revalidationReport)}
${baselineReviewSection(incident)}
${pirSection(incident)}
${incidentSection(incident, view.evidence)}
${evaluationSection(view.evidence)}
${decisionsSection(decisions)}`;
}

function decisionForm(approval: ApprovalRecord, formToken: string): SafeHtml {
  const step = isHumanStep(approval.step) ? humanSteps[approval.step] : undefined;
  const options: Record<string, { readonly label: string; readonly commentRequired?: boolean }> =
    step?.options ?? {};
  const single = approval.options.length === 1;
  return html`<form method="post" aria-labelledby="decide">
<h2 id="decide">Your decision</h2>
<input type="hidden" name="token" value="${formToken}">
${
  approval.kind === 'pir'
    ? (Object.keys(pirFields) as (keyof typeof pirFields)[]).map(
        (field) => html`<label for="${field}">${pirFields[field]} (required)</label>
<textarea id="${field}" name="${field}" required maxlength="${MAX_PIR_FIELD}"></textarea>`,
      )
    : ''
}
<fieldset>
<legend>${step?.title ?? approval.step}</legend>
${approval.options.map(
  (option) =>
    html`<label><input type="radio" name="decision" value="${option}" required${single ? html` checked` : ''}> ${options[option]?.label ?? option}${options[option]?.commentRequired ? ' (explain in the comment)' : ''}</label>`,
)}
</fieldset>
<label for="comment">Comment</label>
<textarea id="comment" name="comment" maxlength="${MAX_COMMENT}" aria-describedby="comment-help"></textarea>
<p id="comment-help" class="muted">Goes into the audit trail with your decision; required where the option says so.</p>
<button type="submit">Submit my decision</button>
</form>`;
}

/** An authorized agent's decision waiting out its overrule window: the person may overrule it. */
function agentNotice(approval: ApprovalRecord): SafeHtml {
  const agent = approval.agentDecision;
  if (!agent) return html``;
  return html`<div class="notice"><p>An authorized agent (${agent.keyName ? `"${agent.keyName}", ` : ''}key ${agent.keyId}) decided <strong>${optionLabel(approval.step, agent.decision)}</strong> at ${agent.decidedAt}. It takes effect at ${agent.effectiveAt} unless you decide before then: your decision overrules it and applies at once.</p>
${agent.comment ? html`<p>The agent's comment: ${agent.comment}</p>` : ''}</div>`;
}

/**
 * The page of `GET /approvals/{id}`: who it is for, what is asked, the evidence, and the form;
 * the incident's decisions take what is left of the page's bytes (`decision-pages.ts`). With
 * `?page=`, a further page of those decisions, read-only and without a form.
 */
export async function approvalPage(view: ApprovalView): Promise<APIGatewayProxyResult> {
  const { approval, recipient } = view;
  const step = isHumanStep(approval.step) ? humanSteps[approval.step] : undefined;
  const title = step?.title ?? approval.step;
  const header = html`<h1>${title}</h1>
<p class="muted">SOP-1013-01-AI ${step?.sop ?? ''} · for ${recipient} as ${approval.roles.map((role) => roleLabels[role]).join(' or ')}</p>`;
  if (view.state === 'decided' && view.expired) {
    return page(
      200,
      'Decided',
      html`<h1>Decided</h1>
<div class="notice"><p>This request was decided by ${approval.decidedBy} at ${approval.decidedAt}.</p></div>`,
    );
  }
  if (view.state === 'decided') {
    return page(
      200,
      title,
      html`${header}
<div class="notice"><p>Decided: <strong>${optionLabel(approval.step, approval.decision ?? '')}</strong> by ${approval.decidedBy} at ${approval.decidedAt}.</p>
${approval.comment ? html`<p>Comment: ${approval.comment}</p>` : ''}</div>
<p class="muted">A decided request shows its decision only; the incident's current state is in Vigil's incident API.</p>`,
    );
  }
  const list = { list: `approval:${approval.approvalId}`, recipient, expiresAt: approval.expiresAt };
  if (view.state === 'earlier') {
    return pageWithDecisions(
      (slice) =>
        page(
          200,
          `${title}: earlier decisions`,
          html`${header}
<p class="muted">Earlier decisions of incident ${approval.incidentId}. Reading this page changes nothing; the form that records your decision is on the page your email links to.</p>
${decisionsSection(slice, `${slice.rows.length} earlier decisions of this incident`)}`,
        ),
      view.decisions,
      decisionRow,
      list,
      { atLeastOne: true },
    );
  }
  return pageWithDecisions(
    (slice) =>
      page(
        200,
        title,
        html`${header}
<p>${step?.ask ?? ''}</p>
<p class="muted">Open until ${approval.expiresAt}${approval.reminder > 0 ? ` (reminder ${approval.reminder})` : ''}. Reading this page changes nothing; only the form at the end records a decision, once.</p>
${agentNotice(approval)}
${evidence(view, slice)}
${decisionForm(approval, view.formToken)}`,
      ),
    view.evidence.decisions,
    decisionRow,
    list,
  );
}

/** The answer to a decision that was recorded and passed on to the workflow. */
export function decidedPage(approval: ApprovalRecord): APIGatewayProxyResult {
  const title = stepTitle(approval.step);
  return page(
    200,
    `${title}: decided`,
    html`<h1>Thank you</h1>
<div class="notice"><p>Your decision <strong>${optionLabel(approval.step, approval.decision ?? '')}</strong> on “${title}” is recorded, as ${approval.decidedBy} at ${approval.decidedAt}, and the workflow goes on.</p></div>
<p>You may close this page.</p>`,
  );
}
