import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '#clients/dynamodb';
import { requireEnv } from '#commons/config';
import { incidentKeys } from '../incidents/keys.ts';
import type { Role } from '../incidents/types.ts';
import { governanceKeys } from '../registry/keys.ts';

const table = requireEnv('GOVERNANCE_TABLE');

/**
 * What a baseline review keeps while it waits for a new baseline: the task token (never shown,
 * never logged), its incident, and what a reminder or a late-confirmed address needs. One per
 * model: a model has at most one open baseline review.
 */
export interface BaselineTask {
  readonly incidentId: string;
  readonly taskToken: string;
  readonly requestedAt: string;
  readonly expiresAt: string;
  readonly roles: readonly Role[];
  readonly recipients: readonly string[];
  readonly reminder: number;
  readonly timeoutSeconds: number;
}

function toTask(item: Record<string, unknown>): BaselineTask {
  return {
    incidentId: item.incidentId as string,
    taskToken: item.taskToken as string,
    requestedAt: item.requestedAt as string,
    expiresAt: item.expiresAt as string,
    roles: item.roles as Role[],
    recipients: item.recipients as string[],
    reminder: item.reminder as number,
    timeoutSeconds: item.timeoutSeconds as number,
  };
}

export async function putBaselineTask(modelId: string, task: BaselineTask): Promise<void> {
  await dynamoDb.send(
    new PutCommand({ TableName: table, Item: { ...incidentKeys.baselineTask(modelId), modelId, ...task } }),
  );
}

export async function getBaselineTask(modelId: string): Promise<BaselineTask | undefined> {
  const { Item } = await dynamoDb.send(
    new GetCommand({ TableName: table, Key: incidentKeys.baselineTask(modelId), ConsistentRead: true }),
  );
  return Item ? toTask(Item) : undefined;
}

/**
 * Takes the waiting task `task` in one delete: of two concurrent baseline PUTs exactly one gets
 * it. On the condition that it is still that task and, with a `cutoff` (`approvals/lapse.ts`),
 * that its expiry is still after it: a task that lapsed since it was read stays. False when it
 * was not taken.
 */
export async function takeBaselineTask(
  modelId: string,
  task: BaselineTask,
  cutoff?: string,
): Promise<boolean> {
  try {
    await dynamoDb.send(
      new DeleteCommand({
        TableName: table,
        Key: incidentKeys.baselineTask(modelId),
        ConditionExpression: `taskToken = :token${cutoff === undefined ? '' : ' AND expiresAt > :cutoff'}`,
        ExpressionAttributeValues: {
          ':token': task.taskToken,
          ...(cutoff === undefined ? {} : { ':cutoff': cutoff }),
        },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** Puts a taken task back (the PUT failed before it resumed the review), unless a newer one exists. */
export async function restoreBaselineTask(modelId: string, task: BaselineTask): Promise<void> {
  try {
    await dynamoDb.send(
      new PutCommand({
        TableName: table,
        Item: { ...incidentKeys.baselineTask(modelId), modelId, ...task },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/** Deletes the model's task if it belongs to `incidentId` (the incident ended). */
export async function deleteBaselineTask(modelId: string, incidentId: string): Promise<void> {
  try {
    await dynamoDb.send(
      new DeleteCommand({
        TableName: table,
        Key: incidentKeys.baselineTask(modelId),
        ConditionExpression: 'incidentId = :incidentId',
        ExpressionAttributeValues: { ':incidentId': incidentId },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/**
 * Records that the baseline `baselineVersion` was reviewed and kept at `at`: its review period
 * starts again. Nothing changes when another baseline is in use by now (its own fitting started
 * its period) or a later review is recorded. Answers whether it was recorded.
 */
export async function markBaselineReviewed(
  modelId: string,
  baselineVersion: number,
  at: string,
): Promise<boolean> {
  try {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: table,
        Key: governanceKeys.model(modelId),
        UpdateExpression: 'SET baselineReviewedAt = :at',
        ConditionExpression:
          'baselineVersion = :version AND (attribute_not_exists(baselineReviewedAt) OR baselineReviewedAt < :at)',
        ExpressionAttributeValues: { ':at': at, ':version': baselineVersion },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
