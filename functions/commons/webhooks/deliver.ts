import { logger } from '#powertools/logger';
import { metrics } from '#powertools/metrics';
import { MAX_QUEUE_DELAY_SECONDS, retryDelaySeconds } from './backoff.ts';
import { deliveryBody } from './format.ts';
import type { QueueMessage, WebhookQueue } from './queue.ts';
import { openSecret } from './secrets.ts';
import { type AttemptResult, postWebhook, type SendOptions } from './send.ts';
import { signatureHeaders } from './signing.ts';
import { getWebhook, listWebhooks, putFailure } from './store.ts';

export interface DeliveryContext {
  readonly queue: WebhookQueue;
  /** Loopback receivers allowed (the local runtime only: `VIGIL_WEBHOOKS_ALLOW_LOOPBACK`). */
  readonly allowLoopback: boolean;
  /** The API's base URL, for the links of events. */
  readonly publicUrl: string;
  readonly now?: () => Date;
  /** The HTTP attempt (tests give a stand-in for the receiver's network). */
  readonly post?: (
    url: string,
    body: string,
    headers: Record<string, string>,
    options: SendOptions,
  ) => Promise<AttemptResult>;
}

/** The whole delivery of one queue message; throws when it could not be handled (the queue retries it). */
export async function handleQueueMessage(message: QueueMessage, context: DeliveryContext): Promise<void> {
  if (message.kind === 'event') return fanOut(message, context);
  return deliver(message, context);
}

/** An event to one `delivery` message per webhook subscribed to its type. */
async function fanOut(
  message: Extract<QueueMessage, { kind: 'event' }>,
  context: DeliveryContext,
): Promise<void> {
  const { event } = message;
  const subscribed = (await listWebhooks()).filter((webhook) =>
    (webhook.events as readonly string[]).includes(event.type),
  );
  if (subscribed.length === 0) return;
  await context.queue.send(
    subscribed.map((webhook) => ({
      message: { kind: 'delivery', webhookId: webhook.webhookId, event, attempt: 1 },
    })),
  );
}

/**
 * One attempt of one delivery:
 * 1. not due yet (a wait longer than a queue delay): sent back with the rest of the wait;
 * 2. the webhook is gone: nothing to do;
 * 3. the body in the webhook's format, signed with its secret (`webhook-id` is the event's id,
 *    the same on every attempt), POSTed with the checks of `postWebhook`;
 * 4. delivered: done. Worth another try and still within 24 hours of the first attempt: sent
 *    back with the backoff's delay. Otherwise kept in the webhook's failures.
 */
async function deliver(
  message: Extract<QueueMessage, { kind: 'delivery' }>,
  context: DeliveryContext,
): Promise<void> {
  const now = (context.now ?? (() => new Date()))();
  if (message.notBefore && Date.parse(message.notBefore) > now.getTime()) {
    const wait = Math.ceil((Date.parse(message.notBefore) - now.getTime()) / 1000);
    await context.queue.send([{ message, delaySeconds: Math.min(MAX_QUEUE_DELAY_SECONDS, wait) }]);
    return;
  }
  const webhook = await getWebhook(message.webhookId);
  if (!webhook) return;
  const { event } = message;
  const secret = await openSecret(webhook.webhookId, webhook.secret);
  const body = deliveryBody(event, webhook.format, context.publicUrl);
  const headers = signatureHeaders(secret, event.id, Math.floor(now.getTime() / 1000), body);
  const result = await (context.post ?? postWebhook)(webhook.url, body, headers, {
    allowLoopback: context.allowLoopback,
  });
  const firstAttemptAt = message.firstAttemptAt ?? now.toISOString();
  const log = {
    webhookId: webhook.webhookId,
    eventType: event.type,
    attempt: message.attempt,
    outcome: result.outcome,
    ...(result.status !== undefined ? { status: result.status } : {}),
    ...(result.outcome !== 'delivered' ? { error: result.error } : {}),
  };
  if (result.outcome === 'delivered') {
    logger.info('webhook delivered', log);
    metrics.addMetric('WebhooksDelivered', 'Count', 1);
    return;
  }
  if (result.outcome === 'retry') {
    const delay = retryDelaySeconds(message.attempt, (now.getTime() - Date.parse(firstAttemptAt)) / 1000);
    if (delay !== undefined) {
      logger.info('webhook attempt failed; retrying', { ...log, retryInSeconds: delay });
      // A wait beyond the queue's longest delay is taken in hops, until `notBefore`.
      const { notBefore: _done, ...next } = message;
      await context.queue.send([
        {
          message: {
            ...next,
            attempt: message.attempt + 1,
            firstAttemptAt,
            ...(delay > MAX_QUEUE_DELAY_SECONDS
              ? { notBefore: new Date(now.getTime() + delay * 1000).toISOString() }
              : {}),
          },
          delaySeconds: Math.min(MAX_QUEUE_DELAY_SECONDS, delay),
        },
      ]);
      return;
    }
  }
  logger.warn('webhook delivery failed', log);
  metrics.addMetric('WebhookDeliveryFailures', 'Count', 1);
  await putFailure({
    webhookId: webhook.webhookId,
    eventId: event.id,
    type: event.type,
    eventTimestamp: event.timestamp,
    attempts: message.attempt,
    firstAttemptAt,
    failedAt: now.toISOString(),
    reason: result.outcome === 'retry' ? 'exhausted' : 'permanent',
    ...(result.status !== undefined ? { status: result.status } : {}),
    error: result.error,
    data: event.data,
  });
}
