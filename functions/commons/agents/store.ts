import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '#clients/dynamodb';
import type { AgentDecision } from '#commons/approvals/store';
import { requireEnv } from '#commons/config';
import { incidentKeys } from '#commons/incidents/keys';
import { governanceKeys } from '#commons/registry/keys';
import { agentKeys } from './keys.ts';

const table = requireEnv('GOVERNANCE_TABLE');

/** A decision waiting for its overrule window to end: which approval, and when. */
export interface DueDecision {
  readonly approvalId: string;
  readonly incidentId: string;
  readonly effectiveAt: string;
}

/**
 * Records an agent's decision on a pending, unexpired approval that has none yet, in one
 * conditional write: of two agent decisions exactly one is kept, and none once a person decided.
 */
export async function putAgentDecision(approvalId: string, decision: AgentDecision): Promise<boolean> {
  try {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: table,
        Key: incidentKeys.approval(approvalId),
        UpdateExpression: 'SET agentDecision = :decision',
        ConditionExpression:
          '#status = :pending AND expiresAt > :now AND attribute_not_exists(agentDecision)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':decision': decision,
          ':pending': 'pending',
          ':now': decision.decidedAt,
        },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/**
 * Takes the announcement of an agent's decision for `until` (a lease): of two ticks that overlap,
 * one emails the role; one that fails or stops leaves it to a tick after the lease. False when
 * it was announced already or another tick holds it.
 */
export async function claimAnnouncement(
  approvalId: string,
  decidedAt: string,
  now: string,
  until: string,
): Promise<boolean> {
  try {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: table,
        Key: incidentKeys.approval(approvalId),
        UpdateExpression: 'SET agentDecision.announcingUntil = :until',
        ConditionExpression:
          'agentDecision.decidedAt = :decidedAt AND attribute_not_exists(agentDecision.announcedAt) AND (attribute_not_exists(agentDecision.announcingUntil) OR agentDecision.announcingUntil < :now)',
        ExpressionAttributeValues: { ':until': until, ':decidedAt': decidedAt, ':now': now },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** Notes that the role was emailed about the agent's decision. */
export async function markAnnounced(approvalId: string, decidedAt: string, at: string): Promise<void> {
  await dynamoDb.send(
    new UpdateCommand({
      TableName: table,
      Key: incidentKeys.approval(approvalId),
      UpdateExpression: 'SET agentDecision.announcedAt = :at REMOVE agentDecision.announcingUntil',
      ConditionExpression: 'agentDecision.decidedAt = :decidedAt',
      ExpressionAttributeValues: { ':at': at, ':decidedAt': decidedAt },
    }),
  );
}

/** Puts the due item of a decision (again: the same item). */
export async function putDue(due: DueDecision): Promise<void> {
  await dynamoDb.send(
    new PutCommand({ TableName: table, Item: { ...agentKeys.due(due.effectiveAt, due.approvalId), ...due } }),
  );
}

export async function deleteDue(due: Pick<DueDecision, 'approvalId' | 'effectiveAt'>): Promise<void> {
  await dynamoDb.send(
    new DeleteCommand({ TableName: table, Key: agentKeys.due(due.effectiveAt, due.approvalId) }),
  );
}

/** The decisions due at `now`, earliest first, at most `limit`. */
export async function listDue(now: string, limit: number): Promise<DueDecision[]> {
  const { Items } = await dynamoDb.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND sk <= :until',
      ExpressionAttributeValues: { ':pk': agentKeys.duePartition, ':until': `${now}#~` },
      ConsistentRead: true,
      Limit: limit,
    }),
  );
  return (Items ?? []).map((item) => ({
    approvalId: item.approvalId as string,
    incidentId: item.incidentId as string,
    effectiveAt: item.effectiveAt as string,
  }));
}

/** A decision the step's role has not been emailed about yet. */
export interface Unannounced {
  readonly approvalId: string;
  readonly incidentId: string;
  readonly decidedAt: string;
}

/** Puts the announcement item of a decision (again: the same item). */
export async function putUnannounced(item: Unannounced): Promise<void> {
  await dynamoDb.send(
    new PutCommand({
      TableName: table,
      Item: { ...agentKeys.announce(item.decidedAt, item.approvalId), ...item },
    }),
  );
}

export async function deleteUnannounced(item: Pick<Unannounced, 'approvalId' | 'decidedAt'>): Promise<void> {
  await dynamoDb.send(
    new DeleteCommand({ TableName: table, Key: agentKeys.announce(item.decidedAt, item.approvalId) }),
  );
}

/** The decisions to announce, oldest first, at most `limit`. */
export async function listUnannounced(limit: number): Promise<Unannounced[]> {
  const { Items } = await dynamoDb.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': agentKeys.announcePartition },
      ConsistentRead: true,
      Limit: limit,
    }),
  );
  return (Items ?? []).map((item) => ({
    approvalId: item.approvalId as string,
    incidentId: item.incidentId as string,
    decidedAt: item.decidedAt as string,
  }));
}

/** A model key's name, when it has one. */
export async function keyName(modelId: string, keyId: string): Promise<string | undefined> {
  const { Item } = await dynamoDb.send(
    new GetCommand({
      TableName: table,
      Key: governanceKeys.modelKey(modelId, keyId),
      ProjectionExpression: '#name',
      ExpressionAttributeNames: { '#name': 'name' },
    }),
  );
  return typeof Item?.name === 'string' ? Item.name : undefined;
}
