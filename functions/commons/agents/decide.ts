import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { type Principal, requireModelAccess } from '#commons/api/principal';
import { lapseCutoff, requestLapsed } from '#commons/approvals/lapse';
import { passOnDecision } from '#commons/approvals/pass-on';
import { humanSteps, isHumanStep } from '#commons/approvals/steps';
import {
  type AgentDecision,
  type ApprovalRecord,
  claimDecision,
  getApproval,
  listApprovals,
} from '#commons/approvals/store';
import { HttpError } from '#commons/http';
import { appendAudit, findLatestAudit } from '#commons/incidents/audit';
import type { RequestOrigin } from '#commons/incidents/origin';
import { loadIncident } from '#commons/incidents/store';
import { loadModel } from '#commons/registry/store';
import { metrics } from '#powertools/metrics';
import type { AgentDecisionInput } from './schema.ts';
import {
  type DueDecision,
  deleteDue,
  deleteUnannounced,
  keyName,
  putAgentDecision,
  putDue,
  putUnannounced,
} from './store.ts';

/** The overrule window of a model registered before agents existed. */
export const DEFAULT_OVERRULE_MINUTES = 15;

/** Who decides: the agent's key (or the admin key), as the audit trail names it. */
interface Agent {
  readonly keyId: string;
  readonly keyName?: string;
  readonly decidedBy: string;
}

/** The answer to an agent: `pending` until its overrule window ends, then `applied`. */
export interface AgentDecisionResult {
  readonly status: 'pending' | 'applied';
  readonly incidentId: string;
  readonly approvalId: string;
  readonly step: string;
  readonly decision: string;
  readonly comment: string;
  readonly decidedBy: string;
  readonly keyId: string;
  readonly keyName?: string;
  readonly decidedAt: string;
  readonly effectiveAt: string;
}

async function agentOf(principal: Principal, modelId: string): Promise<Agent> {
  if (principal.kind === 'admin') return { keyId: 'admin', decidedBy: 'agent:admin' };
  const name = await keyName(modelId, principal.keyId);
  return {
    keyId: principal.keyId,
    ...(name ? { keyName: name } : {}),
    decidedBy: `agent:${principal.keyId}`,
  };
}

function conflict(message: string, path: string, issue: string): HttpError {
  return new HttpError(409, 'conflict', message, [{ path, message: issue }]);
}

/**
 * An authorized agent decides a human step (`POST /v1/incidents/{id}/decisions`).
 * 1. The caller is the admin or a key of the incident's model with the `agent` scope (403), and
 *    the model's `governance.agents` names the step (403, naming `step`).
 * 2. The incident is open and the step waits for a decision now (409); the decision is one of the
 *    step's options, with a comment where the option needs one (400).
 * 3. The same decision by the same key again is a replay: it answers what the first one did.
 *    Another agent decision already waiting, or an overrule window that would outlast the
 *    request, is 409.
 * 4. The decision is kept on the approval with `effectiveAt` (one conditional write, and the
 *    items that have the scheduled tick announce and apply it) and recorded in the audit trail
 *    (`agent.decided`, with the key's id and name). The tick emails the step's role each
 *    person's own link, from which any of them overrules it until it takes effect: this function,
 *    which agents' keys reach, holds no signing key. With `agentOverruleMinutes` 0 it applies at
 *    once, in this request.
 */
export async function submitAgentDecision(
  incidentId: string,
  input: AgentDecisionInput,
  principal: Principal,
  origin: RequestOrigin,
): Promise<AgentDecisionResult> {
  const incident = await loadIncident(incidentId);
  requireModelAccess(principal, incident.modelId, 'agent');
  const model = await loadModel(incident.modelId);
  // Models registered before agents existed delegate nothing.
  const delegated = model.governance.agents ?? [];
  if (!delegated.includes(input.step)) {
    throw new HttpError(
      403,
      'forbidden',
      `Model ${model.modelId} does not delegate "${input.step}" to agents`,
      [
        {
          path: 'step',
          message: delegated.length
            ? `governance.agents delegates only ${delegated.join(', ')}`
            : 'governance.agents delegates no step',
        },
      ],
    );
  }
  const agent = await agentOf(principal, model.modelId);
  if (incident.status !== 'open') {
    throw conflict(`Incident ${incidentId} is ${incident.status}`, 'incidentId', 'the incident is closed');
  }
  const latest = (await listApprovals(incidentId)).filter((a) => a.step === input.step).at(-1);
  if (latest?.agentDecision && sameDecision(latest.agentDecision, agent, input)) {
    return replay(latest, latest.agentDecision, origin);
  }
  const now = new Date().toISOString();
  // A request in its last moments may time out before a decision reaches it (`approvals/lapse.ts`).
  if (latest?.status !== 'pending' || requestLapsed(latest, Date.parse(now))) {
    throw conflict(
      `Step "${input.step}" of incident ${incidentId} does not wait for a decision now`,
      'step',
      `the current step is ${incident.currentStep}`,
    );
  }
  validDecision(latest, input);
  if (latest.agentDecision) throw pendingConflict(latest.agentDecision);
  const minutes = model.governance.agentOverruleMinutes ?? DEFAULT_OVERRULE_MINUTES;
  const effectiveAt = new Date(Date.parse(now) + minutes * 60_000).toISOString();
  if (minutes > 0 && requestLapsed(latest, Date.parse(effectiveAt))) {
    throw conflict(
      `The request for "${input.step}" expires at ${latest.expiresAt}, before a decision made now could take effect at ${effectiveAt}`,
      'step',
      'the overrule window would outlast the request; decide after the reminder',
    );
  }
  const decision: AgentDecision = {
    decision: input.decision,
    comment: input.comment,
    decidedBy: agent.decidedBy,
    keyId: agent.keyId,
    ...(agent.keyName ? { keyName: agent.keyName } : {}),
    decidedAt: now,
    effectiveAt,
  };
  // The tick's items first: one left without its decision is dropped by the tick.
  const due = { approvalId: latest.approvalId, incidentId, effectiveAt };
  const unannounced = { approvalId: latest.approvalId, incidentId, decidedAt: now };
  await putDue(due);
  await putUnannounced(unannounced);
  if (!(await putAgentDecision(latest.approvalId, decision))) {
    await deleteDue(due);
    await deleteUnannounced(unannounced);
    const current = (await getApproval(latest.approvalId))?.approval;
    if (current?.agentDecision && sameDecision(current.agentDecision, agent, input)) {
      return replay(current, current.agentDecision, origin);
    }
    if (current?.agentDecision) throw pendingConflict(current.agentDecision);
    throw conflict(`Step "${input.step}" was decided just now`, 'step', 'a person decided first');
  }
  metrics.addMetric('AgentDecisions', MetricUnit.Count, 1);
  await recordAgentDecision(latest, decision, origin, false);
  return settle(latest, decision);
}

function sameDecision(recorded: AgentDecision, agent: Agent, input: AgentDecisionInput): boolean {
  return (
    recorded.keyId === agent.keyId &&
    recorded.decision === input.decision &&
    recorded.comment === input.comment
  );
}

function pendingConflict(pending: AgentDecision): HttpError {
  return conflict(
    `Another agent decision ("${pending.decision}" by ${pending.decidedBy}) takes effect at ${pending.effectiveAt}`,
    'step',
    'the step already has an agent decision waiting',
  );
}

function validDecision(approval: ApprovalRecord, input: AgentDecisionInput): void {
  if (!approval.options.includes(input.decision)) {
    throw new HttpError(
      400,
      'invalid_request',
      `"${input.decision}" is not an option of "${approval.step}"`,
      [{ path: 'decision', message: `one of ${approval.options.join(', ')}` }],
    );
  }
  const options: Record<string, { readonly commentRequired?: boolean }> = isHumanStep(approval.step)
    ? humanSteps[approval.step].options
    : {};
  if (options[input.decision]?.commentRequired && !input.comment) {
    throw new HttpError(400, 'invalid_request', `Explain "${input.decision}" in the comment`, [
      { path: 'comment', message: 'required for this decision' },
    ]);
  }
}

/**
 * The same decision posted again: finishes what the first request may have left undone (its
 * audit event, the tick's items) and answers as it did. Once a person overruled it, or the request
 * ended without it, it is a conflict.
 */
async function replay(
  approval: ApprovalRecord,
  decision: AgentDecision,
  origin: RequestOrigin,
): Promise<AgentDecisionResult> {
  if (approval.status === 'decided' && approval.decidedBy === decision.decidedBy) {
    return result(approval, decision, 'applied');
  }
  if (approval.status === 'decided') {
    throw conflict(
      `${approval.decidedBy} overruled this decision with "${approval.decision}" at ${approval.decidedAt}`,
      'decision',
      'a person of the role decided first',
    );
  }
  if (approval.status !== 'pending') {
    throw conflict(
      `The request for "${approval.step}" ended without this decision (${approval.closedReason ?? approval.status})`,
      'step',
      'the step no longer waits for this decision',
    );
  }
  if (!decision.announcedAt) {
    const { approvalId, incidentId } = approval;
    await putDue({ approvalId, incidentId, effectiveAt: decision.effectiveAt });
    await putUnannounced({ approvalId, incidentId, decidedAt: decision.decidedAt });
    await recordAgentDecision(approval, decision, origin, true);
  }
  return settle(approval, decision);
}

/** Applies a decision that is due already (an overrule window of 0); else it waits for the tick. */
async function settle(approval: ApprovalRecord, decision: AgentDecision): Promise<AgentDecisionResult> {
  const now = new Date();
  if (decision.effectiveAt > now.toISOString()) return result(approval, decision, 'pending');
  const outcome = await applyAgentDecision(
    { approvalId: approval.approvalId, incidentId: approval.incidentId, effectiveAt: decision.effectiveAt },
    now,
  ).catch((error: unknown) => {
    // The engine could not be reached: the claim was given back and the tick tries again.
    if (error instanceof HttpError && error.statusCode === 503) return 'retry' as const;
    throw error;
  });
  if (outcome === 'applied') return result(approval, decision, 'applied');
  if (outcome === 'lapsed') {
    throw new HttpError(
      410,
      'gone',
      `Step "${approval.step}" stopped waiting before the decision reached it`,
      [
        {
          path: 'step',
          message: 'the step timed out or the incident ended; the decision was recorded, not applied',
        },
      ],
    );
  }
  const now2 = (await getApproval(approval.approvalId))?.approval;
  if (now2 && now2.status === 'decided' && now2.decidedBy !== decision.decidedBy) {
    throw conflict(
      `${now2.decidedBy} decided "${now2.decision}" first`,
      'decision',
      'a person of the role decided first',
    );
  }
  return result(approval, decision, now2?.status === 'decided' ? 'applied' : 'pending');
}

function result(
  approval: ApprovalRecord,
  decision: AgentDecision,
  status: AgentDecisionResult['status'],
): AgentDecisionResult {
  return {
    status,
    incidentId: approval.incidentId,
    approvalId: approval.approvalId,
    step: approval.step,
    decision: decision.decision,
    comment: decision.comment,
    decidedBy: decision.decidedBy,
    keyId: decision.keyId,
    ...(decision.keyName ? { keyName: decision.keyName } : {}),
    decidedAt: decision.decidedAt,
    effectiveAt: decision.effectiveAt,
  };
}

/** The key's id and name and the actor type, as every audit event of an agent's decision names them. */
export function agentDetails(decision: AgentDecision) {
  return {
    actorType: 'agent',
    keyId: decision.keyId,
    ...(decision.keyName ? { keyName: decision.keyName } : {}),
  };
}

/** Records the agent's decision in the audit trail, once (a replay finds the event it wrote). */
async function recordAgentDecision(
  approval: ApprovalRecord,
  decision: AgentDecision,
  origin: RequestOrigin,
  replayed: boolean,
): Promise<void> {
  const recorded =
    replayed &&
    (await findLatestAudit(
      approval.incidentId,
      'agent.decided',
      (event) => event.details?.approvalId === approval.approvalId && event.at === decision.decidedAt,
    )) !== undefined;
  if (recorded) return;
  await appendAudit(approval.incidentId, {
    at: decision.decidedAt,
    type: 'agent.decided',
    actor: decision.decidedBy,
    step: approval.step,
    details: {
      approvalId: approval.approvalId,
      decision: decision.decision,
      comment: decision.comment,
      ...agentDetails(decision),
      effectiveAt: decision.effectiveAt,
    },
    ...origin,
  });
}

/**
 * Applies an agent's decision whose overrule window has ended, through the same path as a
 * person's: the claim on the approval is one conditional write (`status = pending`), so of a
 * person overruling and the tick exactly one decides; the waiting task then resumes.
 * `applied`; `not_due` yet; `dropped` when a person decided first, the request ended or the due
 * item has no decision; `lapsed` when the task stopped waiting. An engine that cannot be reached
 * throws (503) and leaves the due item for the next tick.
 */
export async function applyAgentDecision(
  due: DueDecision,
  now: Date,
): Promise<'applied' | 'not_due' | 'dropped' | 'lapsed'> {
  const found = await getApproval(due.approvalId);
  const decision = found?.approval.agentDecision;
  if (
    !found ||
    !decision ||
    decision.effectiveAt !== due.effectiveAt ||
    found.approval.status !== 'pending'
  ) {
    await deleteDue(due);
    return 'dropped';
  }
  const at = now.toISOString();
  // A decision people can overrule takes effect only once they were told of it.
  const announced = decision.announcedAt !== undefined || decision.effectiveAt <= decision.decidedAt;
  if (decision.effectiveAt > at || !announced) return 'not_due';
  // As a person's: not in the request's last moments, when the step may time out before the resume.
  const claimed = await claimDecision(
    due.approvalId,
    { decision: decision.decision, comment: decision.comment, decidedBy: decision.decidedBy, decidedAt: at },
    lapseCutoff(found.approval, now.getTime()),
  );
  if (!claimed) {
    await deleteDue(due);
    return 'dropped';
  }
  try {
    await passOnDecision(
      found.approval,
      found.taskToken,
      {
        decision: decision.decision,
        comment: decision.comment,
        decidedBy: decision.decidedBy,
        decidedAt: at,
      },
      {},
      { ...agentDetails(decision), agentDecidedAt: decision.decidedAt, effectiveAt: decision.effectiveAt },
    );
  } catch (error) {
    if (!(error instanceof HttpError && error.statusCode === 410)) throw error;
    await deleteDue(due);
    return 'lapsed';
  }
  await deleteDue(due);
  metrics.addMetric('AgentDecisionsApplied', MetricUnit.Count, 1);
  return 'applied';
}
