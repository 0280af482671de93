import { randomBytes } from 'node:crypto';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb, withoutKeys as strip } from '#clients/dynamodb';
import { requireEnv } from '#commons/config';
import { incidentKeys as keys } from './keys.ts';
import type { AuditEvent } from './types.ts';

const table = requireEnv('GOVERNANCE_TABLE');

/**
 * Appends an event to an incident's audit trail. Events are only ever added (a conditional put
 * on a fresh key), never changed or removed.
 */
export async function appendAudit(
  incidentId: string,
  event: Omit<AuditEvent, 'at'> & { at?: string },
): Promise<AuditEvent> {
  const recorded: AuditEvent = { ...event, at: event.at ?? new Date().toISOString() };
  await dynamoDb.send(
    new PutCommand({
      TableName: table,
      Item: {
        ...keys.audit(incidentId, recorded.at, randomBytes(4).toString('hex')),
        incidentId,
        ...recorded,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
  return recorded;
}

/** The audit trail of an incident, oldest first. */
export async function listAudit(incidentId: string): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamoDb.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.incidentPartition(incidentId), ':prefix': keys.auditPrefix },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const { incidentId: _id, ...event } = strip(item);
      events.push(event as unknown as AuditEvent);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return events;
}
