import { sendWaitingRequests } from '#commons/approvals/request';
import { humanSteps, isHumanStep } from '#commons/approvals/steps';
import { listApprovals } from '#commons/approvals/store';
import { getCandidateTask, getIncident, listOpenIncidentIds } from '#commons/incidents/store';
import { getModel } from '#commons/registry/store';
import { markCaughtUp, type SubscriberRecord } from './store.ts';
import { refreshSubscriptions } from './subscriptions.ts';
import { tellMlopsUnreachable, unreachableRoles } from './unreachable.ts';

/**
 * Brings Vigil's view of the topic up to date (`refreshSubscriptions`), then acts on what changed:
 * an address that confirmed receives every request waiting for it, and a step whose role lost its
 * last confirmed address (someone, or a mail scanner, followed an unsubscribe link) is reported
 * to MLOps. Runs on a schedule in AWS, and locally when a confirmation link is followed.
 */
export async function refreshDelivery(now = new Date()): Promise<{ delivered: number; lost: number }> {
  const { confirmed, lost } = await refreshSubscriptions(now);
  // The open incidents, read once for every address (the read goes through the incident index).
  const open = confirmed.length + lost.length > 0 ? await listOpenIncidentIds() : [];
  let delivered = 0;
  for (const record of confirmed) {
    delivered += await sendWaitingRequests(record.address, open);
    if (record.confirmedAt) await markCaughtUp(record.address, record.confirmedAt);
  }
  if (lost.length > 0) await reportLost(lost, open);
  return { delivered, lost: lost.length };
}

/** Tells MLOps of each waiting request (approval or retraining) that a lost address leaves with nobody. */
async function reportLost(
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
