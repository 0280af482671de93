import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '#clients/dynamodb';
import { queryItems } from '#clients/query';
import { requireEnv } from '#commons/config';
import { incidentKeys as keys } from './keys.ts';
import { type CountedRecord, INCIDENT_RECORD_LIMITS } from './record-limits.ts';

const table = requireEnv('GOVERNANCE_TABLE');

/**
 * Takes a place for one more record of an incident in its count item (`INCIDENT#{id}` /
 * `#COUNTS`): a conditional increment, so two writers at the bound never both pass. False when
 * all places are taken. The caller gives the place back ({@link giveRecordPlaceBack}) when it
 * writes no record after all. An incident whose records predate the count item gets its count
 * from them on the first place taken (ids only, up to the bound and one).
 */
export async function takeRecordPlace(incidentId: string, what: CountedRecord): Promise<boolean> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await dynamoDb.send(
        new UpdateCommand({
          TableName: table,
          Key: keys.counts(incidentId),
          UpdateExpression: 'ADD #n :one',
          ConditionExpression: 'attribute_exists(#n) AND #n < :most',
          ExpressionAttributeNames: { '#n': what },
          ExpressionAttributeValues: { ':one': 1, ':most': INCIDENT_RECORD_LIMITS[what] },
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const { Item } = await dynamoDb.send(
      new GetCommand({ TableName: table, Key: keys.counts(incidentId), ConsistentRead: true }),
    );
    if (typeof Item?.[what] === 'number') return false;
    await startCount(incidentId, what, await countRecords(incidentId, what));
  }
  throw new Error(`Could not count the ${what} of incident ${incidentId}: its count kept changing`);
}

/** Gives back a place taken by {@link takeRecordPlace} for a record that was not written. */
export async function giveRecordPlaceBack(incidentId: string, what: CountedRecord): Promise<void> {
  try {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.counts(incidentId),
        UpdateExpression: 'ADD #n :minusOne',
        ConditionExpression: '#n > :zero',
        ExpressionAttributeNames: { '#n': what },
        ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0 },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/** The count, once: of concurrent first writers exactly one sets it, from the same records. */
async function startCount(incidentId: string, what: CountedRecord, count: number): Promise<void> {
  try {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.counts(incidentId),
        UpdateExpression: 'SET #n = :count',
        ConditionExpression: 'attribute_not_exists(#n)',
        ExpressionAttributeNames: { '#n': what },
        ExpressionAttributeValues: { ':count': count },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/** The incident's records of a kind written before its count existed, up to the bound and one. */
async function countRecords(incidentId: string, what: CountedRecord): Promise<number> {
  const limit = INCIDENT_RECORD_LIMITS[what] + 1;
  const { items } = await queryItems(
    what === 'candidates'
      ? {
          TableName: table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: {
            ':pk': keys.incidentPartition(incidentId),
            ':prefix': keys.candidatePrefix,
          },
          ProjectionExpression: 'pk, sk',
          ConsistentRead: true,
        }
      : {
          TableName: table,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.approvalsIndex(incidentId) },
          ProjectionExpression: 'pk',
        },
    { limit },
  );
  return items.length;
}
