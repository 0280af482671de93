import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { governanceTable, tables } from '../../lib/tables.ts';
import {
  createTableInput,
  ensureTables,
  localDynamoDbClient,
  localTableNames,
  startDynalite,
} from '../../local/dynamodb.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynalite.ts';

describe('local tables from the shared definitions', () => {
  let db: TestDynamoDb;
  beforeAll(async () => {
    db = await startTestDynamoDb();
  });
  afterAll(async () => db.close());

  it.each(tables.map((t) => [t.id, t] as const))(
    'creates %s with the key schema and indexes of its definition',
    async (id, definition) => {
      const { Table } = await db.client.send(new DescribeTableCommand({ TableName: db.tableNames[id] }));

      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(Table?.KeySchema).toEqual([
        { AttributeName: definition.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: definition.sortKey.name, KeyType: 'RANGE' },
      ]);
      const indexes = (Table?.GlobalSecondaryIndexes ?? []).map((index) => ({
        name: index.IndexName,
        keys: index.KeySchema?.map((k) => k.AttributeName),
        projection: index.Projection?.ProjectionType,
      }));
      expect(indexes).toEqual(
        definition.globalIndexes.map((index) => ({
          name: index.indexName,
          keys: [index.partitionKey.name, index.sortKey.name],
          projection: 'ALL',
        })),
      );
    },
  );

  it('leaves existing tables and their items alone when run again', async () => {
    const TableName = db.tableNames.Governance;
    await db.client.send(new PutItemCommand({ TableName, Item: { pk: { S: 'a' }, sk: { S: 'b' } } }));

    await ensureTables(db.client, db.tableNames);

    const { Item } = await db.client.send(
      new GetItemCommand({ TableName, Key: { pk: { S: 'a' }, sk: { S: 'b' } } }),
    );
    expect(Item).toEqual({ pk: { S: 'a' }, sk: { S: 'b' } });
  });
});

describe('dynalite on disk', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'vigil-dynalite-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('keeps items across a restart', async () => {
    const names = localTableNames();
    const Key = { pk: { S: 'model#m1' }, sk: { S: 'MODEL' } };
    const first = await startDynalite({ path: dir });
    const client1 = localDynamoDbClient(first.endpoint);
    await ensureTables(client1, names);
    await client1.send(
      new PutItemCommand({ TableName: names.Governance, Item: { ...Key, name: { S: 'churn' } } }),
    );
    client1.destroy();
    await first.close();

    const second = await startDynalite({ path: dir });
    const client2 = localDynamoDbClient(second.endpoint);
    const { Item } = await client2.send(new GetItemCommand({ TableName: names.Governance, Key }));
    client2.destroy();
    await second.close();

    expect(Item?.name).toEqual({ S: 'churn' });
  });

  it('gives a table kept from an earlier definition the indexes added since, with its items in them', async () => {
    const names = localTableNames('upgraded');
    const server = await startDynalite({ path: dir });
    const client = localDynamoDbClient(server.endpoint);
    try {
      // The governance table as it was before the open-incident index, with an open incident in it.
      const earlier = { ...governanceTable, globalIndexes: governanceTable.globalIndexes.slice(0, 1) };
      await client.send(new CreateTableCommand(createTableInput(earlier, names.Governance)));
      // dynalite creates a table asynchronously, as DynamoDB does: writes wait until it is ACTIVE.
      await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: names.Governance });
      const incident = {
        pk: { S: 'INCIDENT#inc_1' },
        sk: { S: '#INCIDENT' },
        gsi1pk: { S: 'INCIDENTS' },
        gsi1sk: { S: '2026-01-01T00:00:00.000Z#inc_1' },
        openpk: { S: 'OPEN_INCIDENTS' },
        opensk: { S: '2026-01-01T00:00:00.000Z#inc_1' },
      };
      const others = Array.from({ length: 30 }, (_, i) => ({
        pk: { S: `MODEL#m${i}` },
        sk: { S: '#MODEL' },
      }));
      for (const Item of [incident, ...others]) {
        await client.send(new PutItemCommand({ TableName: names.Governance, Item }));
      }

      await ensureTables(client, names);

      const { Table } = await client.send(new DescribeTableCommand({ TableName: names.Governance }));
      expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(
        governanceTable.globalIndexes.map((index) => index.indexName),
      );
      const { Items } = await client.send(
        new QueryCommand({
          TableName: names.Governance,
          IndexName: 'open',
          KeyConditionExpression: 'openpk = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'OPEN_INCIDENTS' } },
        }),
      );
      expect(Items).toEqual([incident]);
      const { Count } = await client.send(new ScanCommand({ TableName: names.Governance, Select: 'COUNT' }));
      expect(Count).toBe(31);
    } finally {
      client.destroy();
      await server.close();
    }
  });
});
