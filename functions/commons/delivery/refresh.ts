import { sendWaitingRequests } from '#commons/approvals/request';
import { humanSteps, isHumanStep } from '#commons/approvals/steps';
import { listApprovals } from '#commons/approvals/store';
import { listIncidents } from '#commons/incidents/store';
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
  let delivered = 0;
  for (const record of confirmed) {
    delivered += await sendWaitingRequests(record.address);
    if (record.confirmedAt) await markCaughtUp(record.address, record.confirmedAt);
  }
  if (lost.length > 0) await reportLost(lost);
  return { delivered, lost: lost.length };
}

async function reportLost(lost: readonly SubscriberRecord[]): Promise<void> {
  const addresses = new Set(lost.map((record) => record.address));
  for (const incident of await listIncidents({ status: 'open', limit: 1000 })) {
    const model = await getModel(incident.modelId);
    if (!model) continue;
    for (const approval of await listApprovals(incident.incidentId)) {
      if (approval.status !== 'pending') continue;
      if (!approval.recipients.some((recipient) => addresses.has(recipient.toLowerCase()))) continue;
      const title = isHumanStep(approval.step) ? humanSteps[approval.step].title : approval.step;
      await tellMlopsUnreachable({
        model,
        incident,
        what: `the request "${title}", whose recipient unsubscribed while it waits,`,
        step: approval.step,
        unreachable: await unreachableRoles(model, approval.roles),
      });
    }
  }
}
