import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb, withoutKeys as strip } from '#clients/dynamodb';
import { queryItems } from '#clients/query';
import { requireEnv } from '#commons/config';
import type { WebhookEventType } from './events.ts';
import type { SealedSecret } from './secrets.ts';

const table = requireEnv('GOVERNANCE_TABLE');

/** Webhooks Vigil keeps at most: each event is delivered to all of them that subscribe. */
export const MAX_WEBHOOKS = 50;
/** How long a failed delivery stays in its webhook's failures (DynamoDB TTL). */
export const FAILURE_TTL_SECONDS = 30 * 86400;

export type WebhookFormat = 'standard' | 'slack';

/** A webhook as stored: its secret sealed (see `secrets.ts`), never shown again after creation. */
export interface WebhookRecord {
  readonly webhookId: string;
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly format: WebhookFormat;
  readonly description: string;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly secret: SealedSecret;
}

/** A delivery given up: a permanent refusal at once, or passing failures for 24 hours. */
export interface DeliveryFailure {
  readonly webhookId: string;
  /** The event's id: the `webhook-id` of every attempt. */
  readonly eventId: string;
  readonly type: string;
  readonly eventTimestamp: string;
  readonly attempts: number;
  readonly firstAttemptAt: string;
  readonly failedAt: string;
  /** `permanent` (4xx other than 429, a redirect, a refused address) or `exhausted` (24 h of retries). */
  readonly reason: 'permanent' | 'exhausted';
  /** The last attempt: its HTTP status, or what went wrong (timeout, connection error...). */
  readonly status?: number;
  readonly error?: string;
  /** The event's data, as it was sent, so it can be replayed by hand. */
  readonly data: Record<string, unknown>;
}

export const webhookKeys = {
  /** The list of webhooks (index gsi1). */
  index: 'WEBHOOKS',
  webhook: (webhookId: string) => ({ pk: `WEBHOOK#${webhookId}`, sk: '#WEBHOOK' }),
  /** How many webhooks exist, so that creating one more is refused past the limit. */
  count: { pk: 'WEBHOOKS', sk: '#COUNT' },
  failures: (webhookId: string) => `WEBHOOK#${webhookId}#FAILURES`,
};

/**
 * Keeps a new webhook, unless {@link MAX_WEBHOOKS} exist already (false). The count is taken
 * first (a conditional increment, so two creations never both pass the limit), then the webhook
 * is written; a write that fails gives the count back.
 */
export async function putNewWebhook(webhook: WebhookRecord): Promise<boolean> {
  try {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: table,
        Key: webhookKeys.count,
        UpdateExpression: 'ADD #n :one',
        ConditionExpression: 'attribute_not_exists(#n) OR #n < :max',
        ExpressionAttributeNames: { '#n': 'webhooks' },
        ExpressionAttributeValues: { ':one': 1, ':max': MAX_WEBHOOKS },
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
  try {
    await dynamoDb.send(
      new PutCommand({
        TableName: table,
        Item: {
          ...webhookKeys.webhook(webhook.webhookId),
          gsi1pk: webhookKeys.index,
          gsi1sk: `${webhook.createdAt}#${webhook.webhookId}`,
          ...webhook,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    await countDown();
    throw error;
  }
  return true;
}

async function countDown(): Promise<void> {
  await dynamoDb.send(
    new UpdateCommand({
      TableName: table,
      Key: webhookKeys.count,
      UpdateExpression: 'ADD #n :minus',
      ExpressionAttributeNames: { '#n': 'webhooks' },
      ExpressionAttributeValues: { ':minus': -1 },
    }),
  );
}

export async function getWebhook(webhookId: string): Promise<WebhookRecord | undefined> {
  const { Item } = await dynamoDb.send(
    new GetCommand({ TableName: table, Key: webhookKeys.webhook(webhookId), ConsistentRead: true }),
  );
  return Item ? (strip(Item) as unknown as WebhookRecord) : undefined;
}

/** Every webhook, oldest first (at most {@link MAX_WEBHOOKS}: one page or two). */
export async function listWebhooks(): Promise<WebhookRecord[]> {
  const { items } = await queryItems(
    {
      TableName: table,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': webhookKeys.index },
    },
    { limit: MAX_WEBHOOKS * 2 },
  );
  return items.map((item) => strip(item) as unknown as WebhookRecord);
}

/** Deletes a webhook (false when there is none) and gives its count back; its failures age out with their TTL. */
export async function deleteWebhook(webhookId: string): Promise<boolean> {
  try {
    await dynamoDb.send(
      new DeleteCommand({
        TableName: table,
        Key: webhookKeys.webhook(webhookId),
        ConditionExpression: 'attribute_exists(pk)',
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
  await countDown();
  return true;
}

/**
 * Keeps a failed delivery in its webhook's failures, for {@link FAILURE_TTL_SECONDS}. The same
 * event given up twice (a message delivered twice) is kept once.
 */
export async function putFailure(failure: DeliveryFailure): Promise<void> {
  await dynamoDb.send(
    new PutCommand({
      TableName: table,
      Item: {
        pk: webhookKeys.failures(failure.webhookId),
        sk: `${failure.firstAttemptAt}#${failure.eventId}`,
        ...failure,
        expiresAt: Math.floor(Date.parse(failure.failedAt) / 1000) + FAILURE_TTL_SECONDS,
      },
    }),
  );
}

/** One page of a webhook's failures, newest first. */
export async function listFailures(
  webhookId: string,
  limit: number,
  after?: Record<string, string>,
): Promise<{ failures: DeliveryFailure[]; nextKey?: Record<string, unknown> }> {
  const page = await dynamoDb.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': webhookKeys.failures(webhookId) },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: after,
    }),
  );
  return {
    failures: (page.Items ?? []).map((item) => {
      const { expiresAt: _expiresAt, ...rest } = strip(item);
      return rest as unknown as DeliveryFailure;
    }),
    ...(page.LastEvaluatedKey ? { nextKey: page.LastEvaluatedKey } : {}),
  };
}

/** A `nextToken` of `webhookId`'s failures: a key of that list and nothing else. */
export function isFailurePageKey(webhookId: string, key: Record<string, string>): boolean {
  return (
    key.pk === webhookKeys.failures(webhookId) && typeof key.sk === 'string' && Object.keys(key).length === 2
  );
}
