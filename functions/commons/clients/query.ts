import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from './dynamodb.ts';
import { ReadLimitError } from './read-limit.ts';

export { ReadLimitError };

/**
 * The items a query matches, read page after page (DynamoDB answers at most 1 MB at a time),
 * starting after `after` when given, until none are left or `limit` items are read (each request
 * then asks for no more than are still wanted). `nextKey` is the key to resume after the last
 * item read, present when there may be more.
 */
export async function queryItems(
  input: Omit<QueryCommandInput, 'ExclusiveStartKey' | 'Limit'>,
  options: { readonly limit?: number; readonly after?: Record<string, unknown> } = {},
): Promise<{ items: Record<string, unknown>[]; nextKey?: Record<string, unknown> }> {
  const items: Record<string, unknown>[] = [];
  let start = options.after;
  do {
    const page = await dynamoDb.send(
      new QueryCommand({
        ...input,
        ExclusiveStartKey: start,
        ...(options.limit === undefined ? {} : { Limit: options.limit - items.length }),
      }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start && (options.limit === undefined || items.length < options.limit));
  return { items, ...(start ? { nextKey: start } : {}) };
}

/**
 * Every item a query matches, page after page, when there are at most `bound` of them;
 * {@link ReadLimitError} when there are more (it reads one item past the bound to know).
 */
export async function queryAll(
  input: Omit<QueryCommandInput, 'ExclusiveStartKey' | 'Limit'>,
  bound: number,
  what: string,
): Promise<Record<string, unknown>[]> {
  const { items } = await queryItems(input, { limit: bound + 1 });
  if (items.length > bound) throw new ReadLimitError(what, bound);
  return items;
}

/**
 * Whether `key` is exactly a table key `{pk, sk}` in partition `pk` with a sort key under
 * `skPrefix`: what a list route checks a `nextToken` against before resuming from it.
 */
export function isItemKeyUnder(
  key: Record<string, string>,
  pk: string,
  skPrefix: string,
): key is { pk: string; sk: string } {
  return (
    key.pk === pk &&
    typeof key.sk === 'string' &&
    key.sk.startsWith(skPrefix) &&
    key.sk.length > skPrefix.length &&
    Object.keys(key).length === 2
  );
}

/**
 * Every item a query matches when it reads at most `bound` items of the table or index to find
 * them (`ScannedCount`: before any filter, which is what a query costs); {@link ReadLimitError}
 * when the key range holds more (it reads one item past the bound to know). What bounds a
 * filtered read: its key range, not what the filter keeps.
 */
export async function queryAllScanned(
  input: Omit<QueryCommandInput, 'ExclusiveStartKey' | 'Limit'>,
  bound: number,
  what: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let scanned = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamoDb.send(
      new QueryCommand({ ...input, ExclusiveStartKey: start, Limit: bound + 1 - scanned }),
    );
    scanned += page.ScannedCount ?? 0;
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start && scanned <= bound);
  if (scanned > bound) throw new ReadLimitError(what, bound);
  return items;
}
