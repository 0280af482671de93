import { randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Outgoing, WebhookQueue } from '../functions/commons/webhooks/queue.ts';
import { lambdaContext } from './api-gateway.ts';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

/** Runs `callback` after `ms` milliseconds; returns how to cancel it. Tests give one that skips the wait. */
export type Timer = (callback: () => void, ms: number) => () => void;

const realTimer: Timer = (callback, ms) => {
  const handle = setTimeout(callback, ms);
  return () => clearTimeout(handle);
};

export interface LocalWebhookQueueOptions {
  /** The delivery function's handler (the same module AWS runs behind SQS). */
  readonly handler: SqsHandler;
  readonly timer?: Timer;
  /** As the SQS queue: a message its consumer failed is received again after this long... */
  readonly visibilitySeconds?: number;
  /** ...up to this many receives, then it goes to the dead-letter list. */
  readonly maxReceiveCount?: number;
  readonly print?: (line: string) => void;
}

/**
 * The local stand-in for the webhook queue (SQS): messages are held in process and handed to the
 * delivery function's handler one at a time when their delay (DelaySeconds) has passed, as an SQS
 * event; a message in `batchItemFailures` is received again after the visibility timeout and, after
 * its last receive, kept in `deadLetters` (the dead-letter queue's stand-in). Undelivered messages
 * do not survive a restart (in AWS the queue keeps them for four days).
 */
export class LocalWebhookQueue implements WebhookQueue {
  private readonly timer: Timer;
  private readonly cancels = new Set<() => void>();
  private readonly running = new Set<Promise<void>>();
  private pending = 0;
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  /** Messages handled without success on every receive: the dead-letter queue's stand-in. */
  readonly deadLetters: string[] = [];

  constructor(private readonly options: LocalWebhookQueueOptions) {
    this.timer = options.timer ?? realTimer;
  }

  async send(messages: readonly Outgoing[]): Promise<void> {
    if (this.closed) throw new Error('The webhook queue is closed');
    for (const { message, delaySeconds = 0 } of messages) {
      if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > 900) {
        throw new Error(`DelaySeconds must be a whole number from 0 to 900, got ${delaySeconds}`);
      }
      this.schedule(randomUUID(), JSON.stringify(message), delaySeconds * 1000, 1);
    }
  }

  /** Resolves when no message waits or is being handled (tests wait on it). */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking messages, drops those still waiting and waits for the ones being handled. */
  async close(): Promise<void> {
    this.closed = true;
    for (const cancel of this.cancels) cancel();
    this.cancels.clear();
    await Promise.allSettled([...this.running]);
  }

  private schedule(messageId: string, body: string, ms: number, receive: number): void {
    this.pending++;
    const cancel = this.timer(() => {
      this.cancels.delete(cancel);
      const run = this.receive(messageId, body, receive).finally(() => {
        this.running.delete(run);
        this.settle();
      });
      this.running.add(run);
    }, ms);
    this.cancels.add(cancel);
  }

  private settle(): void {
    this.pending--;
    if (this.pending === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async receive(messageId: string, body: string, receive: number): Promise<void> {
    if (this.closed) return;
    let failed: boolean;
    try {
      const response = await this.options.handler(
        {
          Records: [
            {
              messageId,
              receiptHandle: messageId,
              body,
              attributes: {
                ApproximateReceiveCount: String(receive),
                SentTimestamp: String(Date.now()),
                SenderId: 'local',
                ApproximateFirstReceiveTimestamp: String(Date.now()),
              },
              messageAttributes: {},
              md5OfBody: '',
              eventSource: 'aws:sqs',
              eventSourceARN: 'arn:aws:sqs:local:000000000000:vigil-webhooks',
              awsRegion: 'local',
            },
          ],
        },
        lambdaContext('vigil-webhookDelivery', 60_000),
      );
      failed = (response?.batchItemFailures ?? []).some((f) => f.itemIdentifier === messageId);
    } catch {
      failed = true;
    }
    if (!failed || this.closed) return;
    if (receive >= (this.options.maxReceiveCount ?? 5)) {
      this.deadLetters.push(body);
      (this.options.print ?? console.error)(
        `webhooks (local): a message went to the dead-letter list after ${receive} receives`,
      );
      return;
    }
    this.schedule(messageId, body, (this.options.visibilitySeconds ?? 30) * 1000, receive + 1);
  }
}
