import { HttpError } from '#commons/http';
import { appendAudit, reviewedEvidence } from '#commons/incidents/audit';
import type { RequestOrigin } from '#commons/incidents/origin';
import { getIncident, IncidentNotOpenError, updateIncident } from '#commons/incidents/store';
import { recordStep } from '#commons/incidents/track';
import { restoreIncidentField, surelyNotTaken } from '#commons/incidents/withdraw';
import { decidedEvent } from '#commons/webhooks/emit';
import { publishEvent } from '#commons/webhooks/publish';
import { TaskNotWaitingError, workflow } from '#commons/workflow/index';
import type { PirField } from './steps.ts';
import { type ApprovalRecord, closeApproval, releaseClaim } from './store.ts';

/** A decision claimed on an approval, as it is passed on to the workflow. */
export interface ClaimedDecision {
  readonly decision: string;
  readonly comment: string;
  readonly decidedBy: string;
  readonly decidedAt: string;
  readonly pir?: Record<PirField, string>;
}

/**
 * Passes a claimed decision on: its effects on the incident and the audit event (with
 * `auditDetails`), then the waiting task resumes with `{decision, comment, decidedBy,
 * decidedAt}`. A task that no longer waits marks the request lapsed (410); an engine that cannot
 * be reached gives the claim back (503, try again). A person's form and an authorized agent's
 * decision (`functions/commons/agents/`) both end here.
 */
export async function passOnDecision(
  approval: ApprovalRecord,
  taskToken: string,
  claimed: ClaimedDecision,
  origin: RequestOrigin,
  auditDetails: Record<string, unknown> = {},
): Promise<ApprovalRecord> {
  const { approvalId } = approval;
  const { decision, comment, decidedBy: recipient, decidedAt, pir } = claimed;
  const undo = await applyToIncident(approval, decision, recipient, decidedAt, pir);
  await appendAudit(approval.incidentId, {
    at: decidedAt,
    type: 'decision',
    actor: recipient,
    step: approval.step,
    details: {
      approvalId,
      decision,
      comment,
      ...(pir ? { form: pir } : {}),
      ...auditDetails,
      ...(await reviewedEvidence(approval.incidentId, approval.step)),
    },
    ...origin,
  });

  try {
    await workflow().sendTaskSuccess(taskToken, { decision, comment, decidedBy: recipient, decidedAt });
  } catch (error) {
    // What the decision changed on the incident goes too, when it surely was not applied.
    if (!(error instanceof TaskNotWaitingError) || (await surelyNotTaken(approval.incidentId, approval))) {
      await undo();
    }
    if (error instanceof TaskNotWaitingError) {
      await closeApproval(
        approvalId,
        'decided',
        'lapsed',
        'the step stopped waiting before the decision arrived',
      );
      await appendAudit(approval.incidentId, {
        type: 'decision.lapsed',
        actor: recipient,
        step: approval.step,
        details: { approvalId, decision },
        ...origin,
      });
      throw new HttpError(
        410,
        'gone',
        'This step no longer waits for a decision (it timed out, or the incident ended). Your decision was recorded but not applied.',
      );
    }
    await releaseClaim(approvalId, decidedAt);
    await appendAudit(approval.incidentId, {
      type: 'decision.withdrawn',
      actor: recipient,
      step: approval.step,
      details: { approvalId, decision, reason: 'the workflow engine could not be reached' },
      ...origin,
    });
    throw new HttpError(
      503,
      'unavailable',
      'Vigil could not pass your decision on just now. Nothing was decided; please submit the form again.',
    );
  }

  await recordStep(approval.incidentId, {
    step: approval.step,
    at: decidedAt,
    left: { outcome: decision, by: recipient },
    details: { approvalId, comment },
    ...origin,
  }).catch((error: unknown) => {
    if (!(error instanceof IncidentNotOpenError)) throw error;
  });
  const decided = decidedEvent({
    incidentId: approval.incidentId,
    modelId: approval.modelId,
    step: approval.step,
    decision,
    comment,
    decidedBy: recipient,
    decidedAt,
  });
  await publishEvent(decided.type, decided.data);
  return { ...approval, status: 'decided', decision, comment, decidedBy: recipient, decidedAt };
}

/**
 * The post-implementation review lives on the incident; its sign-off is added to it. Answers
 * how to take the change back when the decision is not applied after all (the task no longer
 * waits, or the engine cannot be reached): the review as it was, if it is still this decision's.
 */
async function applyToIncident(
  approval: ApprovalRecord,
  decision: string,
  recipient: string,
  decidedAt: string,
  pir: Record<PirField, string> | undefined,
): Promise<() => Promise<void>> {
  const nothing = async () => {};
  const changesPir =
    (approval.step === 'pir' && pir !== undefined) ||
    (approval.step === 'pir_signoff' && decision === 'approve');
  if (!changesPir) return nothing;
  const before = (await getIncident(approval.incidentId))?.pir;
  let owned: { path: string[]; value: string };
  if (approval.step === 'pir' && pir) {
    await updateIncident(approval.incidentId, {
      set: { pir: { ...pir, submittedBy: recipient, submittedAt: decidedAt } },
    }).catch(ignoreClosed);
    owned = { path: ['submittedAt'], value: decidedAt };
  } else if (before) {
    await updateIncident(approval.incidentId, {
      set: { pir: { ...before, approvedBy: recipient, approvedAt: decidedAt } },
    }).catch(ignoreClosed);
    owned = { path: ['approvedAt'], value: decidedAt };
  } else {
    return nothing;
  }
  return () => restoreIncidentField(approval.incidentId, 'pir', before, owned);
}

function ignoreClosed(error: unknown): void {
  if (!(error instanceof IncidentNotOpenError)) throw error;
}
