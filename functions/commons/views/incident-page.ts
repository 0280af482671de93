import type { APIGatewayProxyResult } from 'aws-lambda';
import {
  type DecisionList,
  type DecisionRow,
  type DecisionSlice,
  earlierDecisionsLink,
  pageWithDecisions,
} from '#commons/approvals/decision-pages';
import { humanSteps, isHumanStep } from '#commons/approvals/steps';
import { facts, html, page, type SafeHtml, table, tableRow } from '#commons/html/layout';
import type { IncidentRecord } from '#commons/incidents/types';
import type { ModelRecord } from '#commons/registry/store';

function stepTitle(step: string): string {
  return isHumanStep(step) ? humanSteps[step].title : step;
}

export interface IncidentView {
  readonly incident: IncidentRecord;
  readonly model?: ModelRecord;
  /** The incident's decisions, oldest first (`listDecisions`): the page lists the newest that fit. */
  readonly decisions: readonly DecisionRow[];
  /** Who the link was signed for, and when it expires (epoch seconds). */
  readonly viewer: string;
  readonly expiresAt: number;
  /** The viewer's signed link to the report of the evaluation that opened the incident (a breach's). */
  readonly reportLink?: string;
}

const decisionHead = ['Step', 'Decision', 'By', 'At', 'Comment'];

function decisionRow(d: DecisionRow): SafeHtml {
  return tableRow([
    stepTitle(d.step),
    d.decision ?? '',
    d.decidedBy ?? '',
    d.decidedAt ?? '',
    d.comment ?? '',
  ]);
}

/** The next pages' links of a viewer's list of decisions: signed for them, with their link's expiry. */
function decisionList(incidentId: string, viewer: string, expiresAt: number): DecisionList {
  return {
    list: `incident:${incidentId}`,
    recipient: viewer,
    expiresAt: String(expiresAt),
    query: { exp: String(expiresAt) },
  };
}

function decisionsTable(slice: DecisionSlice): SafeHtml {
  if (!slice.next) return slice.rows.length ? table('Decisions', decisionHead, slice.rows) : html``;
  return html`${slice.rows.length ? table(`The latest ${slice.rows.length} decisions`, decisionHead, slice.rows) : ''}
${earlierDecisionsLink(slice)}`;
}

/**
 * An incident, read-only, for a person who followed a link from an email: what opened it, where
 * it stands, the steps so far and the decisions taken, the newest that fit the page
 * (`decision-pages.ts`) and a link to the earlier ones. No form, no approval links: decisions
 * are made from each person's own approval email.
 */
export async function incidentViewPage(view: IncidentView): Promise<APIGatewayProxyResult> {
  return pageWithDecisions(
    (slice) => incidentPage(view, decisionsTable(slice)),
    view.decisions,
    decisionRow,
    decisionList(view.incident.incidentId, view.viewer, view.expiresAt),
  );
}

/**
 * A further page of an incident's decisions for a viewer (`?page=`): those before the previous
 * page's, read-only, nothing else of the incident.
 */
export async function incidentEarlierDecisionsPage(view: {
  readonly incidentId: string;
  readonly decisions: readonly DecisionRow[];
  readonly viewer: string;
  readonly expiresAt: number;
}): Promise<APIGatewayProxyResult> {
  return pageWithDecisions(
    (slice) =>
      page(
        200,
        `Incident ${view.incidentId}: earlier decisions`,
        html`<h1>Incident ${view.incidentId}: earlier decisions</h1>
<p class="muted">Read-only view for ${view.viewer}. Decisions are made from the approval emails.</p>
${slice.rows.length ? table(`${slice.rows.length} earlier decisions`, decisionHead, slice.rows) : ''}
${earlierDecisionsLink(slice)}`,
      ),
    view.decisions,
    decisionRow,
    decisionList(view.incidentId, view.viewer, view.expiresAt),
    { atLeastOne: true },
  );
}

function incidentPage(view: IncidentView, decisions: SafeHtml): APIGatewayProxyResult {
  const { incident, model } = view;
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
${decisions}`,
  );
}
