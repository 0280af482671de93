import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '#clients/dynamodb';
import { requireEnv } from '#commons/config';
import { incidentKeys as keys } from './keys.ts';
import { openIncidentIndex, openIndexAttributes } from './open-index.ts';

/**
 * The one-off upgrade step of a deployment whose incidents predate the open-incident index
 * (`open-index.ts`): every incident still open gets its index attributes, so that the listings of
 * open incidents (the API's `status=open`, the delivery refresh) find it. New incidents carry
 * them from the start; closed ones never need them.
 *
 * It reads the whole incident index once, a page at a time (ids, status and opening time only),
 * and marks each open incident that lacks the attributes in one conditional update: `status = open
 * AND attribute_not_exists(openpk)`, so an incident that closed since it was read is left out of
 * the index and one marked already is not written again. Safe to run again, and beside a running
 * deployment.
 */
export async function backfillOpenIncidentIndex(): Promise<{ read: number; open: number; added: number }> {
  const table = requireEnv('GOVERNANCE_TABLE');
  let read = 0;
  let open = 0;
  let added = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamoDb.send(
      new QueryCommand({
        TableName: table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ProjectionExpression: 'incidentId, openedAt, #status, #openpk',
        ExpressionAttributeNames: { '#status': 'status', '#openpk': openIncidentIndex.partitionAttribute },
        ExpressionAttributeValues: { ':pk': keys.incidentsIndex },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      read++;
      if (item.status !== 'open') continue;
      open++;
      if (item[openIncidentIndex.partitionAttribute] !== undefined) continue;
      if (await markOpen(table, item.incidentId as string, item.openedAt as string)) added++;
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return { read, open, added };
}

async function markOpen(table: string, incidentId: string, openedAt: string): Promise<boolean> {
  const { openpk, opensk } = openIndexAttributes(openedAt, incidentId);
  try {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.incident(incidentId),
        UpdateExpression: 'SET #openpk = :openpk, #opensk = :opensk',
        ConditionExpression: '#status = :open AND attribute_not_exists(#openpk)',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#openpk': openIncidentIndex.partitionAttribute,
          '#opensk': openIncidentIndex.sortAttribute,
        },
        ExpressionAttributeValues: { ':open': 'open', ':openpk': openpk, ':opensk': opensk },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
