import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import { hotDynamoDbClient } from '#clients/dynamodb';
import { deltaAttributes, deltaWriteStep } from '#commons/telemetry/deltas';
import { runSteps, type WriteStep } from '#commons/telemetry/writes';

const lowLevelClient = mockClient(DynamoDBClient);

const put = (table: string, n: number): WriteStep => ({
  id: `${table}/${n}`,
  table,
  item: { pk: { S: `P#${n}` }, sk: { S: 'delta#1#x#0' } },
});

describe('write steps', () => {
  afterEach(() => lowLevelClient.reset());

  it('send puts by the low-level client whose middleware stack is resolved once', () => {
    expect(hotDynamoDbClient.config.cacheMiddleware).toBe(true);
  });

  it('put a delta item as the document client would marshal it', () => {
    const payload = new Uint8Array([1, 2, 3]);
    const item = { pk: 'P', sk: 'delta#1#x#0', baseline: 1, parts: 2, payload, expiresAt: 1_800_000_000 };
    expect(deltaWriteStep('s', 't', item, false)).toEqual({
      id: 's',
      table: 't',
      item: {
        pk: { S: 'P' },
        sk: { S: 'delta#1#x#0' },
        baseline: { N: '1' },
        parts: { N: '2' },
        payload: { B: payload },
        expiresAt: { N: '1800000000' },
      },
    });
    expect(deltaAttributes({ pk: 'P', sk: 's', baseline: 0, parts: 1, payload, covers: ['a', 'b'] })).toEqual(
      {
        pk: { S: 'P' },
        sk: { S: 's' },
        baseline: { N: '0' },
        parts: { N: '1' },
        payload: { B: payload },
        covers: { L: [{ S: 'a' }, { S: 'b' }] },
      },
    );
  });

  it('send the puts of a batch 25 to a BatchWriteItem per table, and report each done', async () => {
    lowLevelClient.on(BatchWriteItemCommand).resolves({});
    const ran: string[] = [];
    const done: string[] = [];
    const steps = [
      ...Array.from({ length: 27 }, (_, n) => put('telemetry', n)),
      put('other', 0),
      { id: 'run', run: async () => void ran.push('run') },
    ];

    await runSteps(steps, { done: (id) => done.push(id) });

    const calls = lowLevelClient
      .commandCalls(BatchWriteItemCommand)
      .map((call) => call.args[0].input.RequestItems);
    expect(calls.map((items) => Object.keys(items ?? {}))).toEqual([['telemetry'], ['telemetry'], ['other']]);
    expect(calls.map((items) => Object.values(items ?? {})[0]?.length)).toEqual([25, 2, 1]);
    expect(calls[0]?.telemetry?.[0]).toEqual({
      PutRequest: { Item: { pk: { S: 'P#0' }, sk: { S: 'delta#1#x#0' } } },
    });
    expect(ran).toEqual(['run']);
    expect(done.sort()).toEqual(steps.map((step) => step.id).sort());
  });

  it('leave out the steps an earlier attempt applied, and report none of a failed request', async () => {
    lowLevelClient.on(BatchWriteItemCommand).rejects(new Error('down'));
    const done: string[] = [];
    const steps = [put('telemetry', 0), put('telemetry', 1), { id: 'run', run: async () => undefined }];

    await expect(
      runSteps(steps, { skip: new Set(['telemetry/0']), done: (id) => done.push(id) }),
    ).rejects.toThrow('down');

    const calls = lowLevelClient.commandCalls(BatchWriteItemCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input.RequestItems?.telemetry).toEqual([
      { PutRequest: { Item: { pk: { S: 'P#1' }, sk: { S: 'delta#1#x#0' } } } },
    ]);
    expect(done).toEqual(['run']);
  });

  it('take a table named with no request left in UnprocessedItems as done, not as one more request', async () => {
    lowLevelClient.on(BatchWriteItemCommand).resolves({ UnprocessedItems: { telemetry: [] } });
    const done: string[] = [];

    await runSteps([put('telemetry', 0)], { done: (id) => done.push(id) });

    expect(lowLevelClient.commandCalls(BatchWriteItemCommand)).toHaveLength(1);
    expect(done).toEqual(['telemetry/0']);
  });
});
