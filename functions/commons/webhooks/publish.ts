import { logger } from '#powertools/logger';
import { metrics } from '#powertools/metrics';
import { boundedData, newEventId, type WebhookEvent, type WebhookEventType } from './events.ts';
import { webhookQueue } from './queue.ts';

/** One event to publish: its type and data (identifiers, states, reasons: never a secret). */
export interface PublishedEvent {
  readonly type: WebhookEventType;
  readonly data: Record<string, unknown>;
}

/**
 * Publishes events to the webhooks subscribed to them: each is put on the webhook queue (one
 * SQS request for all of them) and delivered from there, so the caller waits for the queue
 * alone (a few milliseconds, at most seconds), never for a receiver. It never throws: a
 * publication that fails is logged (event types only) and counted (`WebhookPublishFailures`),
 * and the caller's own action stands.
 *
 * Call it after the action it reports has been recorded. Events: `evaluation.breach`,
 * `incident.opened`, `incident.step_waiting`, `incident.decided`, `incident.closed`,
 * `model.promoted`, `model.rolled_back`, `model.unapproved_version`.
 */
export async function publishEvents(events: readonly PublishedEvent[]): Promise<void> {
  if (events.length === 0) return;
  try {
    const queue = webhookQueue();
    if (!queue) {
      logger.debug('webhook events not published: no webhook queue', { types: events.map((e) => e.type) });
      return;
    }
    const timestamp = new Date().toISOString();
    await queue.send(
      events.map((e) => {
        const event: WebhookEvent = { id: newEventId(), type: e.type, timestamp, data: boundedData(e.data) };
        return { message: { kind: 'event', event } };
      }),
    );
  } catch (error) {
    logger.error('webhook events not published', {
      types: events.map((e) => e.type),
      error: (error as Error).name,
    });
    metrics.addMetric('WebhookPublishFailures', 'Count', events.length);
  }
}

/** Publishes one event; see {@link publishEvents}. */
export async function publishEvent(type: WebhookEventType, data: Record<string, unknown>): Promise<void> {
  await publishEvents([{ type, data }]);
}
