import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '#clients/dynamodb';
import { HttpError } from '#commons/http';
import { telemetryKeys } from './keys.ts';
import { isConditionFailure } from './writes.ts';

/** How long a replayed batch id is recognised. */
const REMEMBER_SECONDS = 7 * 86400;

export type BatchClaim =
  | { readonly kind: 'new' }
  | { readonly kind: 'replay'; readonly response: Record<string, unknown> }
  | { readonly kind: 'resume'; readonly completed: ReadonlySet<string> };

/**
 * Idempotency for a batch id: the first request claims it with a lease; a replay of a finished
 * batch gets the first answer and changes nothing; a replay while the first is still running
 * is told to retry (409); a batch whose earlier attempt failed half way resumes, skipping the
 * items that attempt recorded as applied.
 */
export class BatchLedger {
  constructor(
    private readonly table: string,
    private readonly leaseSeconds = 60,
  ) {}

  async claim(modelId: string, kind: string, batchId: string): Promise<BatchClaim> {
    const Key = telemetryKeys.batch(modelId, kind, batchId);
    const now = Math.floor(Date.now() / 1000);
    try {
      await dynamoDb.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...Key,
            status: 'in_progress',
            leaseUntil: now + this.leaseSeconds,
            completed: [],
            expiresAt: now + REMEMBER_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { kind: 'new' };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const { Item } = await dynamoDb.send(
      new GetCommand({ TableName: this.table, Key, ConsistentRead: true }),
    );
    if (Item?.status === 'done')
      return { kind: 'replay', response: Item.response as Record<string, unknown> };
    const leaseUntil = Number(Item?.leaseUntil ?? 0);
    if (leaseUntil > now) {
      throw new HttpError(409, 'batch_in_progress', `Batch ${batchId} is being processed; retry shortly`, [
        { path: 'batchId', message: 'a request with this batch id is in progress' },
      ]);
    }
    try {
      await dynamoDb.send(
        new UpdateCommand({
          TableName: this.table,
          Key,
          UpdateExpression: 'SET leaseUntil = :lease',
          ConditionExpression: '#status = :inProgress AND leaseUntil = :old',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':lease': now + this.leaseSeconds,
            ':old': leaseUntil,
            ':inProgress': 'in_progress',
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      throw new HttpError(409, 'batch_in_progress', `Batch ${batchId} is being processed; retry shortly`, [
        { path: 'batchId', message: 'a request with this batch id is in progress' },
      ]);
    }
    return { kind: 'resume', completed: new Set((Item?.completed as string[] | undefined) ?? []) };
  }

  /** Records what a failed attempt applied and releases the lease, so a retry resumes at once. */
  async release(modelId: string, kind: string, batchId: string, completed: readonly string[]): Promise<void> {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: this.table,
        Key: telemetryKeys.batch(modelId, kind, batchId),
        UpdateExpression: 'SET completed = :completed, leaseUntil = :zero',
        ExpressionAttributeValues: { ':completed': [...completed], ':zero': 0 },
      }),
    );
  }

  async complete(
    modelId: string,
    kind: string,
    batchId: string,
    response: Record<string, unknown>,
  ): Promise<void> {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: this.table,
        Key: telemetryKeys.batch(modelId, kind, batchId),
        UpdateExpression: 'SET #status = :done, #response = :response REMOVE completed',
        ExpressionAttributeNames: { '#status': 'status', '#response': 'response' },
        ExpressionAttributeValues: { ':done': 'done', ':response': response },
      }),
    );
  }
}
