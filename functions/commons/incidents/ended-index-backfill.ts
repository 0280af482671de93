import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '#clients/dynamodb';
import { requireEnv } from '#commons/config';
import { endedIncidentIndex, endedIndexAttributes } from './ended-index.ts';
import { incidentKeys as keys } from './keys.ts';

/**
 * The one-off upgrade step of a deployment whose incidents predate the ended-incident index
 * (`ended-index.ts`): every incident that ended before it gets its index attributes, so that the
 * KPI report finds it in the period it ended in. Incidents that end later carry them from the
 * write that ends them; open ones need none yet.
 *
 * It reads the whole incident index once, a page at a time (ids, model, status and end time
 * only), and marks each ended incident that lacks the attributes in one conditional update:
 * `closedAt = <the time read> AND attribute_not_exists(endedpk)`, so one marked already (by the
 * write that ended it, or an earlier run) is not written again. Safe to run again, and beside a
 * running deployment.
 */
export async function backfillEndedIncidentIndex(): Promise<{ read: number; ended: number; added: number }> {
  const table = requireEnv('GOVERNANCE_TABLE');
  let read = 0;
  let ended = 0;
  let added = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamoDb.send(
      new QueryCommand({
        TableName: table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ProjectionExpression: 'incidentId, modelId, closedAt, #status, #endedpk',
        ExpressionAttributeNames: { '#status': 'status', '#endedpk': endedIncidentIndex.partitionAttribute },
        ExpressionAttributeValues: { ':pk': keys.incidentsIndex },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      read++;
      if (item.status === 'open' || typeof item.closedAt !== 'string') continue;
      ended++;
      if (item[endedIncidentIndex.partitionAttribute] !== undefined) continue;
      if (await markEnded(table, item.incidentId as string, item.modelId as string, item.closedAt)) added++;
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return { read, ended, added };
}

async function markEnded(
  table: string,
  incidentId: string,
  modelId: string,
  closedAt: string,
): Promise<boolean> {
  const { endedpk, endedsk } = endedIndexAttributes(modelId, closedAt, incidentId);
  try {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.incident(incidentId),
        UpdateExpression: 'SET #endedpk = :endedpk, #endedsk = :endedsk',
        ConditionExpression: 'closedAt = :closedAt AND attribute_not_exists(#endedpk)',
        ExpressionAttributeNames: {
          '#endedpk': endedIncidentIndex.partitionAttribute,
          '#endedsk': endedIncidentIndex.sortAttribute,
        },
        ExpressionAttributeValues: { ':closedAt': closedAt, ':endedpk': endedpk, ':endedsk': endedsk },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
