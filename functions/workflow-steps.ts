import { awaitRevert } from '#commons/incidents/revert';
import { closeIncident, failIncident, notifySupport, promote, rollback } from '#commons/incidents/steps';
import { recordStepSchemas, runRecordStep } from '#commons/workflow/record-steps';
import { taskHandler } from '#commons/workflow/task-handler';
import * as z from '#commons/zod';
// These steps email their outcome or publish their event: those clients load at start.
import '#commons/notifier/sns-client';
import '#commons/webhooks/sqs-client';

const incidentId = z.string().check(z.minLength(1));

/**
 * The automated steps of the governance workflow, by `action`: those that email or publish, and
 * (for executions whose definition still sends them here) those that read and record alone,
 * which the state machines send to `workflow-records.ts`.
 */
const stepSchema = z.discriminatedUnion('action', [
  ...recordStepSchemas,
  z.object({ action: z.literal('promote'), incidentId }),
  z.object({
    action: z.literal('notify-support'),
    incidentId,
    stabilisationSeconds: z.int().check(z.minimum(0)),
  }),
  z.object({ action: z.literal('rollback'), incidentId, comment: z.string(), decidedBy: z.string() }),
  z.object({
    action: z.literal('close'),
    incidentId,
    status: z.enum(['resolved', 'false_alarm', 'abandoned', 'reverted']),
  }),
  z.object({ action: z.literal('fail'), incidentId, error: z.string(), cause: z.string() }),
  z.object({
    action: z.literal('await-revert'),
    incidentId,
    reminder: z.int().check(z.minimum(0)),
    timeoutSeconds: z.int().check(z.minimum(1)),
    taskToken: z.string().check(z.minLength(1)),
  }),
]);

/**
 * Task of the automated steps of the governance workflow and the baseline review that email or
 * publish events: promotion, the support notice, rollback, closing, the failure path and the
 * revert request. Each step is safe to run again, as Step Functions retries it.
 */
export const handler = taskHandler(stepSchema, async (step) => {
  switch (step.action) {
    case 'promote':
      return promote(step.incidentId);
    case 'notify-support':
      await notifySupport(step.incidentId, step.stabilisationSeconds);
      return { notified: true };
    case 'rollback':
      return rollback(step.incidentId, { comment: step.comment, decidedBy: step.decidedBy });
    case 'close':
      return closeIncident(step.incidentId, step.status);
    case 'fail':
      await failIncident(step.incidentId, step.error, step.cause);
      return { failed: true };
    case 'await-revert':
      await awaitRevert(step.incidentId, step.taskToken, step.reminder, step.timeoutSeconds);
      return { waiting: true };
    default:
      return runRecordStep(step);
  }
});
