import {
  type AttributeValue,
  BatchWriteItemCommand,
  type BatchWriteItemCommandOutput,
  ConditionalCheckFailedException,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { dynamoDb, hotDynamoDbClient } from '#clients/dynamodb';
import { forEachConcurrently } from '#commons/concurrency';

/**
 * One idempotency-tracked write of a batch: either `run`, sent at most once per successful
 * attempt, or a plain put (see {@link PutStep}).
 */
export type WriteStep = RunStep | PutStep;

export interface RunStep {
  readonly id: string;
  run(): Promise<void>;
}

/**
 * An unconditional put of one item, for an item that an attempt of the batch may write again
 * whole, harmlessly: {@link runSteps} sends the puts of a batch together, 25 items per
 * BatchWriteItem, so that a batch costs one request rather than one per item. The item is in
 * DynamoDB's attribute values: puts are the hot path, sent by the low-level client.
 */
export interface PutStep {
  readonly id: string;
  readonly table: string;
  readonly item: Record<string, AttributeValue>;
}

const isPut = (step: WriteStep): step is PutStep => 'item' in step;

/**
 * Runs write steps with bounded concurrency. Each step that succeeds is reported to `done` by
 * its id, and steps in `skip` are not run again, so a caller that failed half way resumes
 * without writing twice. On failure it waits for the steps in flight to settle before it
 * throws, so `done` has heard of everything that was applied. Puts go 25 to a BatchWriteItem
 * (retried as {@link batchPut} does), and are reported done when their request is.
 */
export async function runSteps(
  steps: readonly WriteStep[],
  options: { done?: (id: string) => void; skip?: ReadonlySet<string>; concurrency?: number } = {},
): Promise<void> {
  const pending = steps.filter((step) => !options.skip?.has(step.id));
  // Each task runs some steps and then reports their ids done.
  const tasks: { ids: string[]; run: () => Promise<void> }[] = [];
  const puts = new Map<string, PutStep[]>();
  for (const step of pending) {
    if (!isPut(step)) {
      tasks.push({ ids: [step.id], run: () => step.run() });
      continue;
    }
    const same = puts.get(step.table);
    if (same) same.push(step);
    else puts.set(step.table, [step]);
  }
  for (const [table, tablePuts] of puts) {
    for (let start = 0; start < tablePuts.length; start += 25) {
      const chunk = tablePuts.slice(start, start + 25);
      tasks.push({
        ids: chunk.map((step) => step.id),
        run: () =>
          batchWrite(
            table,
            chunk.map((step) => ({ PutRequest: { Item: step.item } })),
            10,
            sendAttributes,
          ),
      });
    }
  }
  await forEachConcurrently(tasks, options.concurrency ?? 8, async (task) => {
    await task.run();
    for (const id of task.ids) options.done?.(id);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * BatchWriteItem in chunks of 25, retrying unprocessed items with exponential backoff and
 * jitter until every request is done; gives up (throws) only after `maxAttempts` rounds. `send`
 * sends one BatchWriteItem and answers its unprocessed requests.
 */
async function batchWrite<R>(
  table: string,
  requests: readonly R[],
  maxAttempts: number,
  send: (pending: Record<string, R[]>) => Promise<Record<string, R[]> | undefined>,
): Promise<void> {
  for (let start = 0; start < requests.length; start += 25) {
    let pending: Record<string, R[]> | undefined = { [table]: requests.slice(start, start + 25) };
    for (let attempt = 0; pending && Object.values(pending).some((left) => left.length > 0); attempt++) {
      if (attempt >= maxAttempts)
        throw new Error(`BatchWriteItem left items unprocessed after ${maxAttempts} attempts`);
      if (attempt > 0) await sleep(Math.random() * Math.min(2000, 25 * 2 ** attempt));
      pending = await send(pending);
    }
  }
}

type DocumentWriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

/** One BatchWriteItem by the document client. */
const sendDocuments = async (pending: Record<string, DocumentWriteRequest[]>) => {
  const result: BatchWriteCommandOutput = await dynamoDb.send(
    new BatchWriteCommand({ RequestItems: pending }),
  );
  return result.UnprocessedItems;
};

/**
 * One BatchWriteItem in DynamoDB's attribute values, by the low-level client of the hot path,
 * whose middleware stack is resolved once (clients/dynamodb.ts).
 */
const sendAttributes = async (pending: Record<string, WriteRequest[]>) => {
  const result: BatchWriteItemCommandOutput = await hotDynamoDbClient.send(
    new BatchWriteItemCommand({ RequestItems: pending }),
  );
  return result.UnprocessedItems;
};

/** Puts items with BatchWriteItem, retrying unprocessed ones (see {@link batchWrite}). */
export function batchPut(table: string, items: readonly Record<string, unknown>[], maxAttempts = 10) {
  return batchWrite(
    table,
    items.map((Item) => ({ PutRequest: { Item } })),
    maxAttempts,
    sendDocuments,
  );
}

/** Deletes items by key with BatchWriteItem, retrying unprocessed ones (see {@link batchWrite}). */
export function batchDelete(table: string, keys: readonly Record<string, unknown>[], maxAttempts = 10) {
  return batchWrite(
    table,
    keys.map((Key) => ({ DeleteRequest: { Key } })),
    maxAttempts,
    sendDocuments,
  );
}

/** True when a conditional write failed its condition (the expected outcome of a lost race). */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException;
}
