import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '#clients/dynamodb';
import { isItemKeyUnder } from '#clients/query';
import { requireEnv } from '#commons/config';
import { type ChainEvent, nextEvent } from './chain.ts';
import { evidenceKeys as keys } from './keys.ts';

/**
 * Waits `ms` milliseconds. Not `node:timers/promises`: the workflow tasks would load that module at
 * every cold start for a retry that seldom happens.
 */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const table = requireEnv('GOVERNANCE_TABLE');

/** Appends that lost a race read the new head and try again, this many times at most. */
const MAX_ATTEMPTS = 50;

export interface NewEvent {
  readonly type: string;
  readonly at: string;
  readonly actor: string;
  readonly data: object;
}

/**
 * Appends an event to an incident's chain. The event's key is its `seq`, and it is written only
 * if that key is new: of concurrent writers that read the same head, exactly one writes the next
 * event, and the others read the new head and link to it. Events are never changed, so the head
 * a writer read is still the event it links to: the chain cannot fork and has no gaps.
 */
export async function appendEvent(incidentId: string, input: NewEvent): Promise<ChainEvent> {
  for (let attempt = 1; ; attempt++) {
    const event = nextEvent(await headEvent(incidentId), input);
    try {
      await dynamoDb.send(
        new PutCommand({
          TableName: table,
          Item: {
            ...keys.event(incidentId, event.seq),
            incidentId,
            seq: event.seq,
            type: event.type,
            at: event.at,
            // The event as JSON: DynamoDB numbers cannot hold every double, and what is hashed must
            // come back byte for byte.
            event: JSON.stringify(event),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return event;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException) || attempt >= MAX_ATTEMPTS) throw error;
      await sleep(Math.random() * Math.min(200, 5 * 2 ** attempt));
    }
  }
}

function eventOf(item: Record<string, unknown>): ChainEvent {
  return JSON.parse(item.event as string) as ChainEvent;
}

/** The latest event of an incident's chain (read consistently), if it has one. */
export async function headEvent(incidentId: string): Promise<ChainEvent | undefined> {
  const { Items } = await dynamoDb.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.eventsPartition(incidentId), ':prefix': keys.eventPrefix },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    }),
  );
  const [item] = Items ?? [];
  return item ? eventOf(item) : undefined;
}

/** Every event of an incident's chain, in `seq` order. */
export async function listEvents(incidentId: string): Promise<ChainEvent[]> {
  const events: ChainEvent[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamoDb.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.eventsPartition(incidentId), ':prefix': keys.eventPrefix },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) events.push(eventOf(item));
    start = page.LastEvaluatedKey;
  } while (start);
  return events;
}

/**
 * One page of an incident's chain, in `seq` order, after `after` when given: events while they
 * take at most `maxBytes` of JSON together (one at least) and `limit` in number, and the key to
 * resume after the last one when there may be more.
 */
export async function listEventPage(
  incidentId: string,
  options: { readonly limit: number; readonly maxBytes: number; readonly after?: Record<string, string> },
): Promise<{ events: ChainEvent[]; nextKey?: Record<string, string> }> {
  const events: ChainEvent[] = [];
  let bytes = 0;
  let start: Record<string, unknown> | undefined = options.after;
  do {
    const page = await dynamoDb.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.eventsPartition(incidentId), ':prefix': keys.eventPrefix },
        ConsistentRead: true,
        ExclusiveStartKey: start,
        Limit: options.limit - events.length,
      }),
    );
    for (const item of page.Items ?? []) {
      const size = Buffer.byteLength(item.event as string, 'utf8');
      if (events.length > 0 && bytes + size > options.maxBytes) {
        const last = keys.event(incidentId, (events.at(-1) as ChainEvent).seq);
        return { events, nextKey: last };
      }
      events.push(eventOf(item));
      bytes += size;
    }
    start = page.LastEvaluatedKey;
  } while (start && events.length < options.limit);
  const last = events.at(-1);
  return { events, ...(start && last ? { nextKey: keys.event(incidentId, last.seq) } : {}) };
}

/** Whether a page key is one of the incident's chain events (see {@link listEventPage}). */
export function isEventPageKey(incidentId: string, key: Record<string, string>): boolean {
  return (
    isItemKeyUnder(key, keys.eventsPartition(incidentId), keys.eventPrefix) && /^SEQ#\d{10}$/.test(key.sk)
  );
}

/**
 * The latest event of an incident's chain of type `type` that `matches` (read consistently):
 * pages of the chain newest first, filtered on the type, until one matches. Reads only the
 * chain's end when the event is recent, never the whole chain held in memory.
 */
export async function findLatestEvent(
  incidentId: string,
  type: string,
  matches: (event: ChainEvent) => boolean = () => true,
): Promise<ChainEvent | undefined> {
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamoDb.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        FilterExpression: '#type = :type',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: {
          ':pk': keys.eventsPartition(incidentId),
          ':prefix': keys.eventPrefix,
          ':type': type,
        },
        ScanIndexForward: false,
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const event = eventOf(item);
      if (matches(event)) return event;
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return undefined;
}

export interface SignedHead {
  readonly seq: number;
  readonly head: string;
  readonly signedAt: string;
  readonly jws: string;
}

/** Keeps the signature of a head; the first one made for a `seq` stays, and is returned. */
export async function keepSignedHead(incidentId: string, signed: SignedHead): Promise<SignedHead> {
  try {
    await dynamoDb.send(
      new PutCommand({
        TableName: table,
        Item: { ...keys.signedHead(incidentId, signed.seq), incidentId, ...signed },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return signed;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    return (await signedHeadAt(incidentId, signed.seq)) ?? signed;
  }
}

/** The kept signature of an incident's head at `seq`, if it was signed. */
export async function signedHeadAt(incidentId: string, seq: number): Promise<SignedHead | undefined> {
  const { Item } = await dynamoDb.send(
    new GetCommand({ TableName: table, Key: keys.signedHead(incidentId, seq), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  return {
    seq: Item.seq as number,
    head: Item.head as string,
    signedAt: Item.signedAt as string,
    jws: Item.jws as string,
  };
}
