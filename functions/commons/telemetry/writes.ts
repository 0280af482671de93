import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '#clients/dynamodb';
import { forEachConcurrently } from '#commons/concurrency';

/** One idempotency-tracked write of a batch: `run` is sent at most once per successful attempt. */
export interface WriteStep {
  readonly id: string;
  run(): Promise<void>;
}

/**
 * Runs write steps with bounded concurrency. Each step that succeeds is reported to `done` by
 * its id, and steps in `skip` are not run again, so a caller that failed half way resumes
 * without writing twice. On failure it waits for the steps in flight to settle before it
 * throws, so `done` has heard of everything that was applied.
 */
export async function runSteps(
  steps: readonly WriteStep[],
  options: { done?: (id: string) => void; skip?: ReadonlySet<string>; concurrency?: number } = {},
): Promise<void> {
  const pending = steps.filter((step) => !options.skip?.has(step.id));
  await forEachConcurrently(pending, options.concurrency ?? 8, async (step) => {
    await step.run();
    options.done?.(step.id);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * BatchWriteItem in chunks of 25, retrying unprocessed items with exponential backoff and
 * jitter until every request is done; gives up (throws) only after `maxAttempts` rounds.
 */
async function batchWrite(
  table: string,
  requests: readonly NonNullable<BatchWriteCommandInput['RequestItems']>[string][number][],
  maxAttempts: number,
): Promise<void> {
  for (let start = 0; start < requests.length; start += 25) {
    let pending: BatchWriteCommandInput['RequestItems'] = { [table]: requests.slice(start, start + 25) };
    for (let attempt = 0; pending && Object.keys(pending).length > 0; attempt++) {
      if (attempt >= maxAttempts)
        throw new Error(`BatchWriteItem left items unprocessed after ${maxAttempts} attempts`);
      if (attempt > 0) await sleep(Math.random() * Math.min(2000, 25 * 2 ** attempt));
      const result: BatchWriteCommandOutput = await dynamoDb.send(
        new BatchWriteCommand({ RequestItems: pending }),
      );
      pending = result.UnprocessedItems;
    }
  }
}

/** Puts items with BatchWriteItem, retrying unprocessed ones (see {@link batchWrite}). */
export function batchPut(table: string, items: readonly Record<string, unknown>[], maxAttempts = 10) {
  return batchWrite(
    table,
    items.map((Item) => ({ PutRequest: { Item } })),
    maxAttempts,
  );
}

/** Deletes items by key with BatchWriteItem, retrying unprocessed ones (see {@link batchWrite}). */
export function batchDelete(table: string, keys: readonly Record<string, unknown>[], maxAttempts = 10) {
  return batchWrite(
    table,
    keys.map((Key) => ({ DeleteRequest: { Key } })),
    maxAttempts,
  );
}

/** True when a conditional write failed its condition (the expected outcome of a lost race). */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException;
}
