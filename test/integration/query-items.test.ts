import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDynamoDb, type TestDynamoDb, useLocalDynamoDb } from '../support/dynalite.ts';
import { type FaultyDynamoDb, startFaultyDynamoDb } from '../support/faulty-dynamodb.ts';

/** The shared paged query of the stores, on dynalite: every item once, however many pages. */
describe('queryItems', () => {
  let db: TestDynamoDb;
  let proxy: FaultyDynamoDb;
  let queries = 0;
  let query: typeof import('../../functions/commons/clients/query.ts');
  // 30 items of 100 KB: about 3 MB, so DynamoDB answers in pages of 1 MB at most.
  const sks = Array.from({ length: 30 }, (_, i) => `ITEM#${String(i).padStart(2, '0')}`);
  const input = () => ({
    TableName: db.tableNames.Governance,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': 'QUERY_TEST' },
  });

  beforeAll(async () => {
    db = await startTestDynamoDb();
    proxy = await startFaultyDynamoDb(db.endpoint, (operation) => {
      if (operation === 'Query') queries++;
      return 'pass';
    });
    useLocalDynamoDb(proxy.endpoint, db.tableNames);
    query = await import('../../functions/commons/clients/query.ts');
    const { dynamoDb } = await import('../../functions/commons/clients/dynamodb.ts');
    for (const sk of sks) {
      await dynamoDb.send(
        new PutCommand({
          TableName: db.tableNames.Governance,
          Item: { pk: 'QUERY_TEST', sk, data: 'x'.repeat(100_000) },
        }),
      );
    }
  });
  afterAll(async () => {
    await proxy.close();
    await db.close();
  });

  it('reads every page of a query, each item once and in key order', async () => {
    queries = 0;
    const { items, nextKey } = await query.queryItems(input());
    expect(items.map((item) => item.sk)).toEqual(sks);
    expect(nextKey).toBeUndefined();
    expect(queries).toBeGreaterThanOrEqual(3);
  });

  it('stops at a limit and resumes after it, each item once', async () => {
    const pages: unknown[][] = [];
    let after: Record<string, unknown> | undefined;
    do {
      const page = await query.queryItems(input(), { limit: 7, ...(after ? { after } : {}) });
      pages.push(page.items.map((item) => item.sk));
      after = page.nextKey;
    } while (after);
    expect(pages.map((page) => page.length)).toEqual([7, 7, 7, 7, 2]);
    expect(pages.flat()).toEqual(sks);
  });

  it('reads every item under a bound across pages, and refuses the whole read past it', async () => {
    queries = 0;
    const items = await query.queryAll(input(), 30, 'test items');
    expect(items.map((item) => item.sk)).toEqual(sks);
    expect(queries).toBeGreaterThanOrEqual(3);
    const refused = query.queryAll(input(), 29, 'test items');
    await expect(refused).rejects.toBeInstanceOf(query.ReadLimitError);
    await expect(refused).rejects.toMatchObject({ bound: 29, what: 'test items' });
  });
  it('bounds a filtered read by the items its key range holds, not by those the filter keeps', async () => {
    // 30 items of 100 KB across pages of 1 MB, a tenth of them `kept`.
    const { dynamoDb } = await import('../../functions/commons/clients/dynamodb.ts');
    for (const [i, sk] of sks.entries()) {
      await dynamoDb.send(
        new PutCommand({
          TableName: db.tableNames.Governance,
          Item: { pk: 'SCANNED_TEST', sk, kept: i % 10 === 0, data: 'x'.repeat(100_000) },
        }),
      );
    }
    const filtered = {
      TableName: db.tableNames.Governance,
      KeyConditionExpression: 'pk = :pk',
      FilterExpression: 'kept = :yes',
      ExpressionAttributeValues: { ':pk': 'SCANNED_TEST', ':yes': true },
    };

    const kept = await query.queryAllScanned(filtered, 30, 'items');

    expect(kept.map((item) => item.sk)).toEqual([sks[0], sks[10], sks[20]]);
    // The same 3 items kept, but 30 read: past a bound of 29, refused whole.
    await expect(query.queryAllScanned(filtered, 29, 'items')).rejects.toMatchObject({
      what: 'items',
      bound: 29,
    });
    // A key range of 10 items: within a bound of 10, past one of 9.
    const range = {
      ...filtered,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :tens)',
      ExpressionAttributeValues: { ...filtered.ExpressionAttributeValues, ':tens': 'ITEM#2' },
    };
    expect(await query.queryAllScanned(range, 10, 'items')).toEqual([
      expect.objectContaining({ sk: sks[20] }),
    ]);
    await expect(query.queryAllScanned(range, 9, 'items')).rejects.toBeInstanceOf(query.ReadLimitError);
  });
});
