import { humanStepRequestSchema, requestHumanStep } from '#commons/approvals/request';
import { taskHandler } from '#commons/workflow/task-handler';
import { metrics } from '#powertools/metrics';
// Every step signs links, emails them and publishes its event: those clients load at start.
import '#commons/approvals/secrets-client';
import '#commons/notifier/sns-client';
import '#commons/webhooks/sqs-client';

/**
 * Task of every human step of the governance workflow (`lambda:invoke.waitForTaskToken`): keeps
 * the task token server-side and emails each recipient of the step's roles; the state machine
 * then waits for the decision, the candidate, or its timeout.
 */
export const handler = taskHandler(humanStepRequestSchema, async (request) => {
  const result = await requestHumanStep(request);
  metrics.addMetric(request.reminder > 0 ? 'ApprovalReminders' : 'ApprovalRequests', 'Count', 1);
  return result;
});
