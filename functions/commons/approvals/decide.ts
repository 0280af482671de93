import { HttpError } from '#commons/http';
import { reviewedEvidence } from '#commons/incidents/audit';
import { type EvaluationRecord, getEvaluation } from '#commons/incidents/evaluations';
import type { RequestOrigin } from '#commons/incidents/origin';
import { getIncident } from '#commons/incidents/store';
import type { IncidentRecord } from '#commons/incidents/types';
import { getModel, type ModelRecord } from '#commons/registry/store';
import { evaluationCharts } from '#commons/reports/distributions';
import type { ColumnChart } from '#drift/charts';
import { type DecisionRow, decisionsBefore, listDecisions } from './decision-pages.ts';
import { lapseCutoff, requestLapsed } from './lapse.ts';
import { passOnDecision } from './pass-on.ts';
import { type SignaturePurpose, sign, signerOf } from './signing.ts';
import { humanSteps, isHumanStep, type PirField, pirFields } from './steps.ts';
import { type AgentDecision, type ApprovalRecord, claimDecision, getApproval } from './store.ts';

export const MAX_COMMENT = 4000;
export const MAX_PIR_FIELD = 10_000;

/** What an approval page shows besides the form: the incident and everything decided so far. */
export interface Evidence {
  readonly incident: IncidentRecord;
  readonly model?: ModelRecord;
  /** The evaluation that opened the incident. */
  readonly evaluation?: EvaluationRecord;
  /** Reference and window distributions of the features that drifted in that evaluation. */
  readonly charts: readonly ColumnChart[];
  /** The evaluation of the promoted version that Operations' automatic check read, if any. */
  readonly verification?: EvaluationRecord;
  /** The incident's other decisions, oldest first (a page lists the newest that fit, `decision-pages.ts`). */
  readonly decisions: readonly DecisionRow[];
  /** QA's step: the re-validation report's event in the incident's hash chain, which the decision names. */
  readonly revalidationReport?: { readonly seq: number; readonly hash: string };
}

export type ApprovalView =
  | {
      readonly state: 'open';
      readonly approval: ApprovalRecord;
      readonly recipient: string;
      readonly evidence: Evidence;
      /** Signs the form for this recipient: the only thing that lets a POST decide. */
      readonly formToken: string;
    }
  | {
      /**
       * Decided: the decision alone, never the incident as it is now (later candidates, notes,
       * artifacts). Once the link has expired, only who decided and when.
       */
      readonly state: 'decided';
      readonly approval: ApprovalRecord;
      readonly recipient: string;
      readonly expired: boolean;
    }
  | {
      /** A further page of an open request's earlier decisions: those before the previous page's. */
      readonly state: 'earlier';
      readonly approval: ApprovalRecord;
      readonly recipient: string;
      readonly decisions: readonly DecisionRow[];
    };

async function approvalSignedBy(
  approvalId: string,
  purpose: SignaturePurpose,
  signature: string | undefined,
): Promise<{ approval: ApprovalRecord; taskToken: string; recipient: string }> {
  const found = await getApproval(approvalId);
  if (!found) throw new HttpError(404, 'not_found', 'There is no such approval request.');
  const recipient = await signerOf(purpose, found.approval, signature);
  if (!recipient) {
    throw new HttpError(
      403,
      'forbidden',
      'The signature of this link is not valid. Open the link exactly as it came in your email.',
    );
  }
  return { ...found, recipient };
}

/** A request that can no longer be decided answers 410 with why; a decided one 409 with who decided. */
function refuseClosed(approval: ApprovalRecord, now: string): void {
  if (approval.status === 'decided') {
    throw new HttpError(
      409,
      'conflict',
      `This request was already decided: "${approval.decision}" by ${approval.decidedBy} at ${approval.decidedAt}. Only one decision counts.`,
    );
  }
  if (approval.status === 'withdrawn' || approval.status === 'lapsed') {
    throw new HttpError(
      410,
      'gone',
      `This step no longer waits for a decision (${approval.closedReason ?? approval.status}). Nothing was changed.`,
    );
  }
  if (approval.status === 'expired' || approval.expiresAt <= now) {
    throw new HttpError(
      410,
      'gone',
      `This link expired at ${approval.expiresAt}. If the step is still open, a reminder with a new link has been sent.`,
    );
  }
  // The step times out a moment before the link expires: a decision in its last moments would
  // be claimed and then refused by the workflow, so it is refused here, before anything is written.
  if (requestLapsed(approval, Date.parse(now))) {
    throw new HttpError(
      410,
      'gone',
      `This link expires at ${approval.expiresAt}, too soon for a decision to reach the workflow. If the step is still open, a reminder with a new link follows.`,
    );
  }
}

async function gatherEvidence(approval: ApprovalRecord): Promise<Evidence> {
  const incident = await getIncident(approval.incidentId);
  if (!incident) throw new HttpError(404, 'not_found', 'The incident of this request no longer exists.');
  const [model, evaluation, verification, approvals, reviewed] = await Promise.all([
    getModel(incident.modelId),
    incident.evaluationId ? getEvaluation(incident.evaluationId) : undefined,
    incident.verification?.evaluationId ? getEvaluation(incident.verification.evaluationId) : undefined,
    listDecisions(incident.incidentId),
    reviewedEvidence(incident.incidentId, approval.step),
  ]);
  const drifted = evaluation?.drift.columns.filter((column) => column.drifted).map((c) => c.name) ?? [];
  const charts = model && evaluation ? await evaluationCharts(model, evaluation, drifted) : [];
  return {
    incident,
    ...reviewed,
    ...(model ? { model } : {}),
    ...(evaluation ? { evaluation } : {}),
    charts,
    ...(verification ? { verification } : {}),
    decisions: otherDecisions(approvals, approval),
  };
}

function otherDecisions(decisions: readonly DecisionRow[], approval: ApprovalRecord): DecisionRow[] {
  return decisions.filter((other) => other.approvalId !== approval.approvalId);
}

/**
 * What `GET /approvals/{id}` shows. It reads and changes nothing, because mail scanners open
 * every link: unknown 404, bad signature 403; a decided request shows its decision and nothing
 * of the incident (past its expiry, only who decided and when); a closed or expired one 410; a
 * pending one its evidence and a form signed for the link's recipient.
 */
export async function viewApproval(
  approvalId: string,
  linkSignature: string | undefined,
): Promise<ApprovalView> {
  const { approval, recipient } = await approvalSignedBy(approvalId, 'link', linkSignature);
  const now = new Date().toISOString();
  if (approval.status === 'decided') {
    return { state: 'decided', approval, recipient, expired: approval.expiresAt <= now };
  }
  refuseClosed(approval, now);
  const formToken = await sign('form', { approvalId, recipient, expiresAt: approval.expiresAt });
  return { state: 'open', approval, recipient, evidence: await gatherEvidence(approval), formToken };
}

/**
 * What `GET /approvals/{id}?page=` shows: a further page of the earlier decisions, for the person
 * the page token was signed for (`decision-pages.ts`: 400 naming `page` for a token that is not
 * one of this request's). Read-only and without a form; like the first page, only while the
 * request is open (a decided one shows its decision only, a closed or expired one 410).
 */
export async function viewEarlierDecisions(approvalId: string, pageToken: string): Promise<ApprovalView> {
  const found = await getApproval(approvalId);
  if (!found) throw new HttpError(404, 'not_found', 'There is no such approval request.');
  const { approval } = found;
  const { recipient, decisions } = await decisionsBefore(
    pageToken,
    otherDecisions(await listDecisions(approval.incidentId), approval),
    { list: `approval:${approvalId}`, recipients: approval.recipients, expiresAt: approval.expiresAt },
  );
  const now = new Date().toISOString();
  if (approval.status === 'decided') {
    return { state: 'decided', approval, recipient, expired: approval.expiresAt <= now };
  }
  refuseClosed(approval, now);
  return { state: 'earlier', approval, recipient, decisions };
}

export interface DecisionForm {
  readonly token?: string;
  readonly decision?: string;
  readonly comment?: string;
  readonly pir: Partial<Record<PirField, string>>;
}

/**
 * Decides an approval (`POST /approvals/{id}`).
 * 1. The form token must be signed for one of the request's recipients (403): that recipient is
 *    who decides, whatever else the form says.
 * 2. A decided request answers 409; a withdrawn, lapsed or expired one 410, and so does one in
 *    its last moments (`lapse.ts`), when the step may time out before the decision reaches it.
 * 3. The decision must be one of the step's options, with a comment where the option needs one,
 *    and the review's fields for a post-implementation review (400).
 * 4. The decision is claimed in one conditional write, with the same rule on the expiry: of two,
 *    exactly one wins (the other 409), and a request that lapsed since it was read is not claimed.
 * 5. Its effects on the incident (the review and its sign-off) and the audit event (who, when,
 *    what, comment, address and agent) are written, then the waiting task resumes with
 *    `{decision, comment, decidedBy, decidedAt}`. A task that no longer waits marks the request
 *    lapsed (410); an engine that cannot be reached gives the claim back (503, try again).
 */
export async function decideApproval(
  approvalId: string,
  form: DecisionForm,
  origin: RequestOrigin,
): Promise<ApprovalRecord> {
  const { approval, taskToken, recipient } = await approvalSignedBy(approvalId, 'form', form.token);
  const decidedAt = new Date().toISOString();
  refuseClosed(approval, decidedAt);
  const { decision, comment, pir } = validForm(approval, form);

  // The claim repeats the lapse rule as its condition: a request that lapsed since it was read stays.
  const claimed = await claimDecision(
    approvalId,
    { decision, comment, decidedBy: recipient, decidedAt, ...origin, ...(pir ? { form: pir } : {}) },
    lapseCutoff(approval, Date.parse(decidedAt)),
  );
  if (!claimed) {
    const now = await getApproval(approvalId);
    refuseClosed(now?.approval ?? approval, new Date().toISOString());
    throw new HttpError(410, 'gone', 'This request can no longer be decided.');
  }
  // A person deciding while an agent's decision waits out its overrule window overrules it.
  const { agentDecision } = (await getApproval(approvalId))?.approval ?? approval;
  return passOnDecision(
    approval,
    taskToken,
    { decision, comment, decidedBy: recipient, decidedAt, ...(pir ? { pir } : {}) },
    origin,
    agentDecision ? { overrules: overruled(agentDecision) } : {},
  );
}

/** What the audit trail keeps of an agent's decision a person overruled. */
function overruled(agent: AgentDecision) {
  return {
    decision: agent.decision,
    decidedBy: agent.decidedBy,
    keyId: agent.keyId,
    ...(agent.keyName ? { keyName: agent.keyName } : {}),
    decidedAt: agent.decidedAt,
    effectiveAt: agent.effectiveAt,
  };
}

function validForm(
  approval: ApprovalRecord,
  form: DecisionForm,
): { decision: string; comment: string; pir?: Record<PirField, string> } {
  const decision = form.decision ?? '';
  if (!approval.options.includes(decision)) {
    throw new HttpError(
      400,
      'invalid_request',
      `Choose one of the options: ${approval.options.join(', ')}.`,
      [{ path: 'decision', message: `one of ${approval.options.join(', ')}` }],
    );
  }
  const comment = (form.comment ?? '').trim();
  if (comment.length > MAX_COMMENT) {
    throw new HttpError(400, 'invalid_request', `The comment is longer than ${MAX_COMMENT} characters.`, [
      { path: 'comment', message: `at most ${MAX_COMMENT} characters` },
    ]);
  }
  const options: Record<string, { readonly commentRequired?: boolean }> = isHumanStep(approval.step)
    ? humanSteps[approval.step].options
    : {};
  if (options[decision]?.commentRequired && !comment) {
    throw new HttpError(400, 'invalid_request', `Please explain "${decision}" in the comment.`, [
      { path: 'comment', message: 'required for this decision' },
    ]);
  }
  if (approval.kind !== 'pir') return { decision, comment };
  const pir = {} as Record<PirField, string>;
  for (const field of Object.keys(pirFields) as PirField[]) {
    const value = (form.pir[field] ?? '').trim();
    if (!value || value.length > MAX_PIR_FIELD) {
      throw new HttpError(
        400,
        'invalid_request',
        `Please fill in "${pirFields[field]}" (at most ${MAX_PIR_FIELD} characters).`,
        [{ path: field, message: value ? `at most ${MAX_PIR_FIELD} characters` : 'required' }],
      );
    }
    pir[field] = value;
  }
  return { decision, comment, pir };
}
