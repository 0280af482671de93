import type { APIGatewayProxyResult } from 'aws-lambda';
import { humanSteps, isHumanStep } from '#commons/approvals/steps';
import type { ApprovalRecord } from '#commons/approvals/store';
import { facts, html, page, table } from '#commons/html/layout';
import type { IncidentRecord } from '#commons/incidents/types';
import type { ModelRecord } from '#commons/registry/store';

function stepTitle(step: string): string {
  return isHumanStep(step) ? humanSteps[step].title : step;
}

export interface IncidentView {
  readonly incident: IncidentRecord;
  readonly model?: ModelRecord;
  readonly approvals: readonly ApprovalRecord[];
  /** Who the link was signed for. */
  readonly viewer: string;
  /** The viewer's signed link to the report of the evaluation that opened the incident (a breach's). */
  readonly reportLink?: string;
}

/**
 * An incident, read-only, for a person who followed a link from an email: what opened it, where
 * it stands, the steps so far and the decisions taken. No form, no approval links: decisions
 * are made from each person's own approval email.
 */
export function incidentViewPage(view: IncidentView): APIGatewayProxyResult {
  const { incident, model, approvals } = view;
  const decided = approvals.filter((approval) => approval.status === 'decided');
  const steps = incident.history.filter((entry) => entry.event === 'left' || entry.step === 'closed');
  return page(
    200,
    `Incident ${incident.incidentId}`,
    html`<h1>Incident ${incident.incidentId}</h1>
<p class="muted">Read-only view for ${view.viewer}. Decisions are made from the approval emails.</p>
${facts([
  ['Model', model ? `${model.name} (${model.modelId})` : incident.modelId],
  ['Kind', incident.kind.replace('_', ' ')],
  ['Production version', model?.productionVersion],
  ['Version when it opened', incident.version],
  ['Status', incident.status],
  ['Current step', stepTitle(incident.currentStep)],
  ['Opened', incident.openedAt],
  ['Closed', incident.closedAt],
  ['Retraining cycles', incident.retrainingCycles],
  [
    'Candidate',
    incident.candidate ? `${incident.candidate.version} (${incident.candidate.artifactUri})` : undefined,
  ],
  [
    'Promoted',
    incident.promotion ? `${incident.promotion.version} at ${incident.promotion.promotedAt}` : undefined,
  ],
])}
<h2>Why it opened</h2>
<ul>${incident.reasons.map((reason) => html`<li>${reason}</li>`)}</ul>
${view.reportLink ? html`<p><a href="${view.reportLink}">The evaluation report</a>: each feature's distributions, baseline against the window.</p>` : ''}
${
  steps.length
    ? table(
        'Steps so far',
        ['Step', 'At', 'Outcome', 'By'],
        steps.map((entry) => [stepTitle(entry.step), entry.at, entry.outcome ?? '', entry.by ?? '']),
      )
    : html`<p class="muted">No step has ended yet.</p>`
}
${
  decided.length
    ? table(
        'Decisions',
        ['Step', 'Decision', 'By', 'At', 'Comment'],
        decided.map((approval) => [
          stepTitle(approval.step),
          approval.decision ?? '',
          approval.decidedBy ?? '',
          approval.decidedAt ?? '',
          approval.comment ?? '',
        ]),
      )
    : ''
}`,
  );
}
