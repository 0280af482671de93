import { markCaughtUp } from './store.ts';
import { refreshSubscriptions } from './subscriptions.ts';

/**
 * Brings Vigil's view of the topic up to date (`refreshSubscriptions`), then acts on what changed:
 * an address that confirmed receives every request waiting for it, and a step whose role lost its
 * last confirmed address (someone, or a mail scanner, followed an unsubscribe link) is reported
 * to MLOps. Runs on a schedule in AWS, and locally when a confirmation link is followed.
 */
export async function refreshDelivery(now = new Date()): Promise<{ delivered: number; lost: number }> {
  const { confirmed, lost } = await refreshSubscriptions(now);
  // The open incidents, read once for every address (the read goes through the incident index).
  const open =
    confirmed.length + lost.length > 0
      ? await (await import('#commons/incidents/store')).listOpenIncidentIds()
      : [];
  let delivered = 0;
  // Sending and reporting load with the first change they act on: most runs find none.
  for (const record of confirmed) {
    const { sendWaitingRequests } = await import('#commons/approvals/request');
    delivered += await sendWaitingRequests(record.address, open);
    if (record.confirmedAt) await markCaughtUp(record.address, record.confirmedAt);
  }
  if (lost.length > 0) await (await import('./lost.ts')).reportLost(lost, open);
  return { delivered, lost: lost.length };
}
