import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '#clients/dynamodb';
import { telemetryKeys } from './keys.ts';
import { isConditionFailure } from './writes.ts';

/**
 * The names a model may count by: feedback categories and metric names. Each becomes a counter
 * attribute or an item per bucket, a key of an evaluation and of the KPI report, so a model has
 * at most a fixed number of each; the set of a model's names is one item, written when a new
 * name first arrives and read again only then (names are never removed).
 */
export const NAME_LIMITS = { feedback: 50, metrics: 100 } as const;

export type NameKind = keyof typeof NAME_LIMITS;

/** Names already admitted, per model and kind, for the life of the execution environment. */
const admitted = new Map<string, Set<string>>();

/**
 * Admits `names` for the model: the names it already has, and new ones as long as the model stays
 * within its limit. Returns the names refused (none when all are admitted); a refusal writes
 * nothing. Concurrent admissions of one model never take it past the limit (conditional write).
 */
export async function admitNames(
  table: string,
  modelId: string,
  kind: NameKind,
  names: Iterable<string>,
): Promise<string[]> {
  const cacheKey = `${modelId}#${kind}`;
  let known = admitted.get(cacheKey);
  if (!known) {
    known = new Set();
    admitted.set(cacheKey, known);
  }
  const wanted = [...new Set(names)];
  if (wanted.every((name) => known.has(name))) return [];
  const limit = NAME_LIMITS[kind];
  const key = telemetryKeys.names(modelId, kind);
  for (let attempt = 0; attempt < 5; attempt++) {
    const { Item } = await dynamoDb.send(
      new GetCommand({ TableName: table, Key: key, ConsistentRead: true }),
    );
    for (const name of (Item?.names as Set<string> | undefined) ?? []) known.add(name);
    const fresh = wanted.filter((name) => !known.has(name));
    if (fresh.length === 0) return [];
    const room = limit - known.size;
    if (fresh.length > room) return fresh.slice(Math.max(0, room));
    try {
      await dynamoDb.send(
        new UpdateCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'ADD #names :fresh',
          ConditionExpression: 'attribute_not_exists(#names) OR size(#names) <= :most',
          ExpressionAttributeNames: { '#names': 'names' },
          ExpressionAttributeValues: { ':fresh': new Set(fresh), ':most': limit - fresh.length },
        }),
      );
      for (const name of fresh) known.add(name);
      return [];
    } catch (error) {
      // Another request added names meanwhile: read the set again.
      if (!isConditionFailure(error)) throw error;
    }
  }
  throw new Error(`Could not record new ${kind} names of model ${modelId}: too much contention`);
}
