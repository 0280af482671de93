import { humanSteps, isHumanStep } from '#commons/approvals/steps';
import { listApprovals } from '#commons/approvals/store';
import { getCandidateTask, getIncident } from '#commons/incidents/store';
import { getModel } from '#commons/registry/store';
import type { SubscriberRecord } from './store.ts';
import { tellMlopsUnreachable, unreachableRoles } from './unreachable.ts';

/**
 * What the delivery refresh does when an address was lost, loaded on the first such run of an
 * execution environment (`await import(...)` from `refresh.ts`), not at a cold start: most
 * runs find no change.
 */

/** Tells MLOps of each waiting request (approval or retraining) that a lost address leaves with nobody. */
export async function reportLost(
  lost: readonly SubscriberRecord[],
  open: readonly { incidentId: string; modelId: string }[],
): Promise<void> {
  const addresses = new Set(lost.map((record) => record.address));
  const names = (recipients: readonly string[]) =>
    recipients.some((recipient) => addresses.has(recipient.toLowerCase()));
  for (const { incidentId, modelId } of open) {
    const [incident, model] = await Promise.all([getIncident(incidentId), getModel(modelId)]);
    if (incident?.status !== 'open' || !model) continue;
    const waiting = (await listApprovals(incident.incidentId))
      .filter((approval) => approval.status === 'pending' && names(approval.recipients))
      .map((approval) => ({ step: approval.step, roles: approval.roles }));
    const task = await getCandidateTask(incident.incidentId);
    if (task?.roles && task.recipients && names(task.recipients))
      waiting.push({ step: 'retraining', roles: task.roles });
    for (const { step, roles } of waiting) {
      const title = isHumanStep(step) ? humanSteps[step].title : step;
      await tellMlopsUnreachable({
        model,
        incident,
        what: `the request "${title}" (a recipient unsubscribed while it waits)`,
        step,
        unreachable: await unreachableRoles(model, roles),
      });
    }
  }
}
