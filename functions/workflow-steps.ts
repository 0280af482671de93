import { adoptBaseline, keepBaseline } from '#commons/baseline-review/steps';
import { awaitRevert, recordRevert } from '#commons/incidents/revert';
import {
  checkNewVersion,
  closeIncident,
  failIncident,
  notifySupport,
  prepare,
  promote,
  revalidate,
  rollback,
} from '#commons/incidents/steps';
import { taskHandler } from '#commons/workflow/task-handler';
import * as z from '#commons/zod';
// Most steps email their outcome and publish their event: those clients load at start.
import '#commons/notifier/sns-client';
import '#commons/webhooks/sqs-client';

const incidentId = z.string().check(z.minLength(1));

/** The automated steps of the governance workflow, by `action`. */
const stepSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('prepare'), incidentId }),
  z.object({ action: z.literal('revalidate'), incidentId }),
  z.object({ action: z.literal('promote'), incidentId }),
  z.object({
    action: z.literal('notify-support'),
    incidentId,
    stabilisationSeconds: z.int().check(z.minimum(0)),
  }),
  z.object({ action: z.literal('check-new-version'), incidentId }),
  z.object({ action: z.literal('rollback'), incidentId, comment: z.string(), decidedBy: z.string() }),
  z.object({
    action: z.literal('close'),
    incidentId,
    status: z.enum(['resolved', 'false_alarm', 'abandoned', 'reverted']),
  }),
  z.object({ action: z.literal('fail'), incidentId, error: z.string(), cause: z.string() }),
  z.object({ action: z.literal('keep-baseline'), incidentId, comment: z.string(), decidedBy: z.string() }),
  z.object({ action: z.literal('adopt-baseline'), incidentId }),
  z.object({
    action: z.literal('await-revert'),
    incidentId,
    reminder: z.int().check(z.minimum(0)),
    timeoutSeconds: z.int().check(z.minimum(1)),
    taskToken: z.string().check(z.minLength(1)),
  }),
  z.object({
    action: z.literal('record-revert'),
    incidentId,
    evaluationId: z.string().check(z.minLength(1)),
    productionVersion: z.string().check(z.minLength(1)),
  }),
]);

/**
 * Task of the automated steps of the governance workflow: preparation, re-validation, promotion,
 * the support notice, the automatic check after stabilisation, rollback, closing and the failure
 * path; and of the baseline review: keeping the baseline, adopting the new one. Each step is safe to run again, as Step Functions retries it.
 */
export const handler = taskHandler(stepSchema, async (step) => {
  switch (step.action) {
    case 'prepare':
      return prepare(step.incidentId);
    case 'revalidate':
      return revalidate(step.incidentId);
    case 'promote':
      return promote(step.incidentId);
    case 'notify-support':
      await notifySupport(step.incidentId, step.stabilisationSeconds);
      return { notified: true };
    case 'check-new-version':
      return checkNewVersion(step.incidentId);
    case 'rollback':
      return rollback(step.incidentId, { comment: step.comment, decidedBy: step.decidedBy });
    case 'close':
      return closeIncident(step.incidentId, step.status);
    case 'fail':
      await failIncident(step.incidentId, step.error, step.cause);
      return { failed: true };
    case 'keep-baseline':
      return keepBaseline(step.incidentId, { comment: step.comment, decidedBy: step.decidedBy });
    case 'adopt-baseline':
      return adoptBaseline(step.incidentId);
    case 'await-revert':
      await awaitRevert(step.incidentId, step.taskToken, step.reminder, step.timeoutSeconds);
      return { waiting: true };
    case 'record-revert':
      return recordRevert(step.incidentId, {
        evaluationId: step.evaluationId,
        productionVersion: step.productionVersion,
      });
  }
});
