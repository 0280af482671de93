import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb, withoutKeys as strip } from '#clients/dynamodb';
import { queryAll } from '#clients/query';
import { requireEnv } from '#commons/config';
import type { SubscriptionState } from '#commons/notifier/index';
import { governanceKeys as keys } from '#commons/registry/keys';

const table = requireEnv('GOVERNANCE_TABLE');

/**
 * Whether an address receives Vigil's email: its subscription is `confirmed`, still
 * `pending_confirmation` (SNS delivers nothing to it yet), or gone (`unsubscribed`: the person
 * or a mail scanner followed an unsubscribe link, or the confirmation expired).
 */
export type DeliveryState = SubscriptionState | 'unsubscribed';

/** What Vigil knows of an approver's address, as of its last look at the topic. */
export interface SubscriberRecord {
  /** Lower-cased, as the `recipient` attribute of every message. */
  readonly address: string;
  readonly state: DeliveryState;
  readonly subscriptionArn?: string;
  /** When Vigil subscribed it; absent for a subscription made outside Vigil (the deploy-time seed). */
  readonly subscribedAt?: string;
  readonly updatedAt: string;
  /** When it was last seen becoming confirmed. */
  readonly confirmedAt?: string;
  /** When the requests still waiting were last sent to it after a confirmation. */
  readonly caughtUpAt?: string;
}

export async function getSubscriber(address: string): Promise<SubscriberRecord | undefined> {
  const { Item } = await dynamoDb.send(
    new GetCommand({ TableName: table, Key: keys.subscriber(address), ConsistentRead: true }),
  );
  return Item ? (strip(Item) as unknown as SubscriberRecord) : undefined;
}

/** The records of these addresses, by address (absent ones left out). */
export async function getSubscribers(addresses: readonly string[]): Promise<Map<string, SubscriberRecord>> {
  const found = await Promise.all(addresses.map((address) => getSubscriber(address)));
  return new Map(found.filter((r) => r !== undefined).map((r) => [r.address, r] as const));
}

/**
 * Approver addresses the delivery refresh reads at most (< 2 KB each): past it the refresh is
 * refused (an error and `ReadLimitExceeded`), never done for some addresses only.
 */
export const MAX_SUBSCRIBERS = 50_000;

/** Every approver address's record, read page after page; {@link ReadLimitError} past {@link MAX_SUBSCRIBERS}. */
export async function listSubscribers(): Promise<SubscriberRecord[]> {
  const items = await queryAll(
    {
      TableName: table,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.subscribersIndex },
    },
    MAX_SUBSCRIBERS,
    'approver addresses',
  );
  return items.map((item) => strip(item) as unknown as SubscriberRecord);
}

export async function putSubscriber(record: SubscriberRecord): Promise<void> {
  await dynamoDb.send(
    new PutCommand({
      TableName: table,
      Item: {
        ...keys.subscriber(record.address),
        gsi1pk: keys.subscribersIndex,
        gsi1sk: record.address,
        ...record,
      },
    }),
  );
}

/**
 * Records the state last seen; becoming confirmed sets `confirmedAt`, which asks for the waiting
 * requests to be sent to the address (`caughtUpAt` then records that they were). Only over the
 * record as it was read: when it changed meanwhile (a subscription made since the topic was
 * listed), the newer record stays and the next look at the topic decides.
 */
export async function setSubscriberState(
  record: SubscriberRecord,
  state: DeliveryState,
  subscriptionArn: string | undefined,
  now: string,
): Promise<SubscriberRecord> {
  const updated: SubscriberRecord = {
    ...record,
    state,
    updatedAt: now,
    ...(subscriptionArn ? { subscriptionArn } : {}),
    ...(state === 'confirmed' && record.state !== 'confirmed' ? { confirmedAt: now } : {}),
  };
  try {
    await dynamoDb.send(
      new PutCommand({
        TableName: table,
        Item: {
          ...keys.subscriber(updated.address),
          gsi1pk: keys.subscribersIndex,
          gsi1sk: updated.address,
          ...updated,
        },
        ConditionExpression: 'updatedAt = :read',
        ExpressionAttributeValues: { ':read': record.updatedAt },
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException)
      return (await getSubscriber(record.address)) ?? record;
    throw error;
  }
  return updated;
}

/** Records that the address received what was waiting for it, unless it changed meanwhile. */
export async function markCaughtUp(address: string, confirmedAt: string): Promise<void> {
  await dynamoDb
    .send(
      new UpdateCommand({
        TableName: table,
        Key: keys.subscriber(address),
        UpdateExpression: 'SET caughtUpAt = :at',
        ConditionExpression: 'confirmedAt = :at',
        ExpressionAttributeValues: { ':at': confirmedAt },
      }),
    )
    .catch((error: unknown) => {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    });
}

export async function deleteSubscriber(address: string): Promise<void> {
  await dynamoDb.send(new DeleteCommand({ TableName: table, Key: keys.subscriber(address) }));
}

/** Whether a confirmation happened that the waiting requests have not followed yet. */
export function needsCatchUp(record: SubscriberRecord): boolean {
  return (
    record.state === 'confirmed' &&
    record.confirmedAt !== undefined &&
    (record.caughtUpAt === undefined || record.caughtUpAt < record.confirmedAt)
  );
}
