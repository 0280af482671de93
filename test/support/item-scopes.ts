import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FunctionId } from '../../lib/functions.ts';
import { type ItemScope, itemScopes, type ScopedFunctionId } from '../../lib/item-scopes.ts';
import { type TableId, tables } from '../../lib/tables.ts';
import { runningFunction } from '../../local/invocation.ts';

/**
 * One DynamoDB request as IAM sees it: the action, the table or index, and the partition key
 * values it touches (`dynamodb:LeadingKeys`: the table's `pk`, or the index's partition key).
 */
export interface ItemRequest {
  readonly fn: FunctionId;
  readonly action: string;
  readonly table: string;
  readonly index?: string;
  readonly leadingKeys: readonly string[];
}

const readActions = new Set(['GetItem', 'BatchGetItem', 'Query', 'ConditionCheckItem']);
const writeActions = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

type Input = Record<string, unknown>;
type Item = Record<string, AttributeValue>;

const pkOf = (item: Item | undefined) => (item?.pk as { S?: string } | undefined)?.S ?? '?';

/** The IAM actions and partition keys of one low-level request, per table and index. */
function itemRequests(command: string, input: Input): Omit<ItemRequest, 'fn'>[] {
  const action = command.replace(/Command$/, '');
  switch (action) {
    case 'GetItem':
    case 'UpdateItem':
    case 'DeleteItem':
    case 'ConditionCheckItem':
      return [{ action, table: input.TableName as string, leadingKeys: [pkOf(input.Key as Item)] }];
    case 'PutItem':
      return [{ action, table: input.TableName as string, leadingKeys: [pkOf(input.Item as Item)] }];
    case 'Query': {
      const [, attribute = '', placeholder = ''] =
        /^\s*\(?\s*(#?\w+)\s*=\s*(:\w+)/.exec(input.KeyConditionExpression as string) ?? [];
      const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
      const values = (input.ExpressionAttributeValues ?? {}) as Item;
      const keyName = names[attribute] ?? attribute;
      // The index's partition key, as the shared table definitions name it.
      const expected = input.IndexName
        ? (tables.flatMap((t) => t.globalIndexes).find((i) => i.indexName === input.IndexName)?.partitionKey
            .name ?? '?index')
        : 'pk';
      const value = (values[placeholder] as { S?: string } | undefined)?.S;
      return [
        {
          action,
          table: input.TableName as string,
          ...(input.IndexName ? { index: input.IndexName as string } : {}),
          leadingKeys: [keyName === expected && value !== undefined ? value : `?${keyName}`],
        },
      ];
    }
    case 'BatchGetItem':
      return Object.entries(input.RequestItems as Record<string, { Keys: Item[] }>).map(
        ([table, { Keys }]) => ({
          action,
          table,
          leadingKeys: Keys.map(pkOf),
        }),
      );
    case 'BatchWriteItem':
      return Object.entries(
        input.RequestItems as Record<
          string,
          { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]
        >,
      ).map(([table, writes]) => ({
        action,
        table,
        leadingKeys: writes.map((w) => pkOf(w.PutRequest?.Item ?? w.DeleteRequest?.Key)),
      }));
    case 'TransactWriteItems':
    case 'TransactGetItems':
      return (input.TransactItems as Record<string, Input>[]).flatMap((entry) =>
        Object.entries(entry).flatMap(([kind, operation]) =>
          itemRequests(
            {
              Put: 'PutItem',
              Update: 'UpdateItem',
              Delete: 'DeleteItem',
              ConditionCheck: 'ConditionCheckItem',
              Get: 'GetItem',
            }[kind] ?? kind,
            operation,
          ),
        ),
      );
    default:
      // Scan and anything else: no partition key, which a ForAllValues condition would let through.
      return [{ action, table: (input.TableName as string) ?? '?', leadingKeys: [] }];
  }
}

/**
 * Records every DynamoDB request the scoped functions send through the functions' shared client,
 * with the function the local runtime is running it for. Call `stop` to remove the recorder.
 */
export function recordItemRequests(client: DynamoDBDocumentClient | DynamoDBClient): {
  readonly requests: ItemRequest[];
  stop(): void;
} {
  const requests: ItemRequest[] = [];
  const name = 'itemScopeRecorder';
  (client.middlewareStack as DynamoDBClient['middlewareStack']).add(
    (next, context) => async (args) => {
      const fn = runningFunction();
      if (fn && fn in itemScopes) {
        for (const request of itemRequests(context.commandName as string, args.input as Input)) {
          requests.push({ fn, ...request });
        }
      }
      return next(args);
    },
    { step: 'build', name },
  );
  return { requests, stop: () => (client.middlewareStack as DynamoDBClient['middlewareStack']).remove(name) };
}

/** IAM `StringLike` on one value: `*` any run of characters, `?` one character. */
export function matchesPattern(value: string, pattern: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 's').test(value);
}

/**
 * Why the function's grants (lib/item-scopes.ts, as the stack turns them into statements) would
 * refuse the request in AWS, or undefined when they allow it.
 */
export function refusal(request: ItemRequest, tableNames: Record<TableId, string>): string | undefined {
  const scopes = itemScopes[request.fn as ScopedFunctionId] as
    | Partial<Record<TableId, ItemScope>>
    | undefined;
  if (!scopes) return `${request.fn} has no item scope`;
  const tableId = (Object.keys(tableNames) as TableId[]).find((id) => tableNames[id] === request.table);
  const scope = tableId ? scopes[tableId] : undefined;
  if (!scope) return `${request.fn} may not use table ${request.table}`;
  const patterns = request.index
    ? request.action === 'Query'
      ? scope.indexes?.[request.index]
      : undefined
    : readActions.has(request.action)
      ? scope.read
      : writeActions.has(request.action)
        ? scope.write
        : undefined;
  if (!patterns)
    return `${request.fn} may not ${request.action} on ${tableId}${request.index ? `/${request.index}` : ''}`;
  if (request.leadingKeys.length === 0) return `${request.fn}: ${request.action} names no partition key`;
  const outside = request.leadingKeys.filter(
    (key) => !patterns.some((pattern) => matchesPattern(key, pattern)),
  );
  return outside.length
    ? `${request.fn} may not ${request.action} ${outside.join(', ')} on ${tableId}${request.index ? `/${request.index}` : ''}`
    : undefined;
}
