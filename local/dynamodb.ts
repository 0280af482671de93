import type { AddressInfo } from 'node:net';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ScanCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { type TableDefinition, type TableId, tables } from '../lib/tables.ts';

/** A running dynalite server: the real DynamoDB API, in memory or on disk. */
export interface LocalDynamoDb {
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts dynalite on 127.0.0.1. With `path` the data lives in LevelDB under that folder and
 * survives a restart; without it, in memory. Port 0 picks a free port.
 */
export async function startDynalite(options: { path?: string; port?: number } = {}): Promise<LocalDynamoDb> {
  const server = dynalite({
    ...(options.path ? { path: options.path } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) =>
        server.close((error?: Error) => (error ? reject(error) : resolve())),
      ),
  };
}

/** Local physical table names, one per shared definition. */
export function localTableNames(prefix = 'vigil'): Record<TableId, string> {
  return Object.fromEntries(tables.map((t) => [t.id, `${prefix}-${t.id.toLowerCase()}`])) as Record<
    TableId,
    string
  >;
}

/** The CreateTable request for a shared table definition: same keys and indexes as the CDK table. */
export function createTableInput(definition: TableDefinition, tableName: string): CreateTableCommandInput {
  const keys = [definition.partitionKey, definition.sortKey];
  for (const index of definition.globalIndexes) keys.push(index.partitionKey, index.sortKey);
  const attributes = new Map<string, 'S' | 'N'>();
  for (const key of keys) if (key) attributes.set(key.name, key.type);
  const keySchema = (partition: { name: string }, sort?: { name: string }) => [
    { AttributeName: partition.name, KeyType: 'HASH' as const },
    ...(sort ? [{ AttributeName: sort.name, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    })),
    KeySchema: keySchema(definition.partitionKey, definition.sortKey),
    ...(definition.globalIndexes.length > 0
      ? {
          GlobalSecondaryIndexes: definition.globalIndexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: keySchema(index.partitionKey, index.sortKey),
            Projection: { ProjectionType: 'ALL' as const },
          })),
        }
      : {}),
  };
}

/** Creates every table that does not exist yet and waits until all are ACTIVE. */
export async function ensureTables(client: DynamoDBClient, names: Record<TableId, string>): Promise<void> {
  const existing = new Set<string>();
  let start: string | undefined;
  do {
    const page = await client.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
    for (const name of page.TableNames ?? []) existing.add(name);
    start = page.LastEvaluatedTableName;
  } while (start);

  for (const definition of tables) {
    const name = names[definition.id];
    if (!existing.has(name)) await client.send(new CreateTableCommand(createTableInput(definition, name)));
    else await addMissingIndexes(client, definition, name);
  }
  for (const definition of tables) {
    for (let attempt = 0; ; attempt++) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: names[definition.id] }));
      if (Table?.TableStatus === 'ACTIVE') break;
      if (attempt > 100) throw new Error(`Table ${names[definition.id]} did not become ACTIVE`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/**
 * Gives a table made from an earlier definition the indexes added to it since (a data directory
 * kept across an upgrade). DynamoDB adds an index to a live table and fills it from the items;
 * dynalite cannot, so the table is made again from its definition with its items: read whole,
 * deleted, created, written back.
 */
async function addMissingIndexes(
  client: DynamoDBClient,
  definition: TableDefinition,
  name: string,
): Promise<void> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
  const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  if (definition.globalIndexes.every((index) => present.has(index.indexName))) return;
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: name, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  await client.send(new DeleteTableCommand({ TableName: name }));
  await waitForTable(client, name, 'gone');
  await client.send(new CreateTableCommand(createTableInput(definition, name)));
  await waitForTable(client, name, 'ACTIVE');
  for (let i = 0; i < items.length; i += 25) {
    let writes: WriteRequest[] = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    while (writes.length > 0) {
      const { UnprocessedItems } = await client.send(
        new BatchWriteItemCommand({ RequestItems: { [name]: writes } }),
      );
      writes = UnprocessedItems?.[name] ?? [];
    }
  }
}

/** Waits until a table is ACTIVE, or gone. */
async function waitForTable(client: DynamoDBClient, name: string, state: 'ACTIVE' | 'gone'): Promise<void> {
  for (let attempt = 0; attempt <= 100; attempt++) {
    const status = await client
      .send(new DescribeTableCommand({ TableName: name }))
      .then(({ Table }) => Table?.TableStatus)
      .catch((error: unknown) => {
        if ((error as Error).name === 'ResourceNotFoundException') return 'gone';
        throw error;
      });
    if (status === state) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Table ${name} did not become ${state}`);
}

/** A low-level client for dynalite, with the dummy credentials it accepts. */
export function localDynamoDbClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}
