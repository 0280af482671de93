import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '#clients/dynamodb';
import { forEachConcurrently } from '#commons/concurrency';

/** Counters per item: top-level number attributes that DynamoDB `ADD` increments atomically. */
export interface CounterUpdate {
  readonly key: { pk: string; sk: string };
  readonly counters: Record<string, number>;
  /** Extra attributes set when the item is first written (e.g. `expiresAt`). */
  readonly setOnce?: Record<string, string | number>;
}

/** Update expressions are limited to 4 KB, so large counter sets go in several updates. */
const MAX_EXPRESSION_CHARS = 3500;

/** Splits one item's counters into update expressions that each stay under the limit. */
export function counterExpressions(update: CounterUpdate): {
  UpdateExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, number | string>;
}[] {
  const out: ReturnType<typeof counterExpressions> = [];
  let adds: string[] = [];
  let names: Record<string, string> = {};
  let values: Record<string, number | string> = {};
  let length = 0;
  const flush = (withSets: boolean) => {
    const sets: string[] = [];
    if (withSets) {
      for (const [i, [name, value]] of Object.entries(update.setOnce ?? {}).entries()) {
        names[`#s${i}`] = name;
        values[`:s${i}`] = value;
        sets.push(`#s${i} = if_not_exists(#s${i}, :s${i})`);
      }
    }
    if (adds.length === 0 && sets.length === 0) return;
    out.push({
      UpdateExpression: [
        adds.length ? `ADD ${adds.join(', ')}` : '',
        sets.length ? `SET ${sets.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join(' '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
    adds = [];
    names = {};
    values = {};
    length = 0;
  };
  let i = 0;
  for (const [name, value] of Object.entries(update.counters)) {
    if (value === 0) continue;
    const clause = `#a${i} :a${i}`;
    if (length + clause.length + 2 > MAX_EXPRESSION_CHARS) flush(false);
    names[`#a${i}`] = name;
    values[`:a${i}`] = value;
    adds.push(clause);
    length += clause.length + 2;
    i++;
  }
  flush(true);
  return out;
}

/** One idempotency-tracked write of a batch: `run` is sent at most once per successful attempt. */
export interface WriteStep {
  readonly id: string;
  run(): Promise<void>;
}

/**
 * The writes of counter updates: each is an atomic ADD, so concurrent batches and write shards
 * never lose an increment, and throttled calls are retried by the client's retry strategy. An
 * item's counters may take several update expressions, each a step (`<update id>/<n>`).
 */
export function counterSteps(
  table: string,
  updates: readonly { id: string; update: CounterUpdate }[],
): WriteStep[] {
  return updates.flatMap(({ id, update }) =>
    counterExpressions(update).map((expression, n) => ({
      id: `${id}/${n}`,
      run: async () => {
        await dynamoDb.send(new UpdateCommand({ TableName: table, Key: update.key, ...expression }));
      },
    })),
  );
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

/** Applies counter updates (see {@link counterSteps}). */
export function applyCounterUpdates(
  table: string,
  updates: readonly { id: string; update: CounterUpdate }[],
): Promise<void> {
  return runSteps(counterSteps(table, updates));
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
