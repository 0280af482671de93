import type { SQSClient } from '@aws-sdk/client-sqs';
import type { WebhookEvent } from './events.ts';

type Sdk = typeof import('./sqs-client.ts');
let sdk: Promise<Sdk> | undefined;

/** The SQS client code, loaded on the first send (once per container), not at load. */
function loadSdk(): Promise<Sdk> {
  sdk ??= import('./sqs-client.ts');
  return sdk;
}

/**
 * What travels on the webhook queue:
 * - `event`: a published event, fanned out by the delivery function to every webhook
 *   subscribed to its type (one `delivery` each);
 * - `delivery`: one event to one webhook, attempt `attempt`, not before `notBefore` (a wait
 *   longer than SQS's 15-minute delay is taken in hops).
 */
export type QueueMessage =
  | { readonly kind: 'event'; readonly event: WebhookEvent }
  | {
      readonly kind: 'delivery';
      readonly webhookId: string;
      readonly event: WebhookEvent;
      readonly attempt: number;
      readonly firstAttemptAt?: string;
      readonly notBefore?: string;
    };

export interface Outgoing {
  readonly message: QueueMessage;
  /** 0 to 900 (SQS's DelaySeconds). */
  readonly delaySeconds?: number;
}

/** The webhook queue's port: SQS in AWS, the runtime's in-process queue locally. */
export interface WebhookQueue {
  /** Sends every message, or throws. */
  send(messages: readonly Outgoing[]): Promise<void>;
}

const BATCH = 10;

/** The webhook queue in SQS: SendMessage for one message, SendMessageBatch (by ten) for several. */
export class SqsWebhookQueue implements WebhookQueue {
  private client: SQSClient | undefined;

  constructor(
    private readonly queueUrl: string,
    client?: SQSClient,
  ) {
    this.client = client;
  }

  async send(messages: readonly Outgoing[]): Promise<void> {
    const { newSqsClient, SendMessageCommand, SendMessageBatchCommand } = await loadSdk();
    this.client ??= newSqsClient();
    if (messages.length === 1) {
      const [only] = messages as [Outgoing];
      await this.client.send(
        new SendMessageCommand({
          QueueUrl: this.queueUrl,
          MessageBody: JSON.stringify(only.message),
          DelaySeconds: only.delaySeconds ?? 0,
        }),
      );
      return;
    }
    for (let i = 0; i < messages.length; i += BATCH) {
      const batch = messages.slice(i, i + BATCH);
      const { Failed } = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((m, j) => ({
            Id: `m${j}`,
            MessageBody: JSON.stringify(m.message),
            DelaySeconds: m.delaySeconds ?? 0,
          })),
        }),
      );
      if (Failed && Failed.length > 0) {
        throw new Error(
          `SQS refused ${Failed.length} of ${batch.length} messages: ${Failed.map((f) => f.Code ?? 'error').join(', ')}`,
        );
      }
    }
  }
}

let configured: WebhookQueue | undefined;

/** Installs the queue to use; the local runtime registers its in-process queue before it serves. */
export function configureWebhookQueue(queue: WebhookQueue | undefined): void {
  configured = queue;
}

/** The queue of this environment: SQS when WEBHOOK_QUEUE_URL is set, else the configured one, else none. */
export function webhookQueue(): WebhookQueue | undefined {
  const url = process.env.WEBHOOK_QUEUE_URL;
  if (!configured && url) configured = new SqsWebhookQueue(url);
  return configured;
}
