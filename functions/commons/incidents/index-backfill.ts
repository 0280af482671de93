import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '#clients/dynamodb';
import { requireEnv } from '#commons/config';
import { incidentKeys as keys } from './keys.ts';

/**
 * What the one-off backfills of the sparse incident indexes (`open-index-backfill.ts`,
 * `ended-index-backfill.ts`) share: a read of the whole incident index, a page at a time, and a
 * conditional update of one incident.
 */

/** Calls `visit` on every item of the incident index, in order, with the attributes `projection` names. */
export async function forEachIndexedIncident(
  projection: { readonly expression: string; readonly names: Readonly<Record<string, string>> },
  visit: (item: Record<string, unknown>) => Promise<void>,
): Promise<void> {
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamoDb.send(
      new QueryCommand({
        TableName: requireEnv('GOVERNANCE_TABLE'),
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ProjectionExpression: projection.expression,
        ExpressionAttributeNames: projection.names,
        ExpressionAttributeValues: { ':pk': keys.incidentsIndex },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) await visit(item);
    start = page.LastEvaluatedKey;
  } while (start);
}

/**
 * Applies `update` to the incident if its condition holds: true when it was written, false when
 * the condition no longer held (marked already, or its status changed since it was read).
 */
export async function updateIncidentIf(
  incidentId: string,
  update: Required<Pick<UpdateCommandInput, 'UpdateExpression' | 'ConditionExpression'>> &
    Pick<UpdateCommandInput, 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>,
): Promise<boolean> {
  try {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: requireEnv('GOVERNANCE_TABLE'),
        Key: keys.incident(incidentId),
        ...update,
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
