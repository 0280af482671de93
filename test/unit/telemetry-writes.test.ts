import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import { runSteps, type WriteStep } from '#commons/telemetry/writes';

const documentClient = mockClient(DynamoDBDocumentClient);

const put = (table: string, n: number): WriteStep => ({
  id: `${table}/${n}`,
  table,
  item: { pk: `P#${n}`, sk: 'delta#1#x#0' },
});

describe('write steps', () => {
  afterEach(() => documentClient.reset());

  it('send the puts of a batch 25 to a BatchWriteItem per table, and report each done', async () => {
    documentClient.on(BatchWriteCommand).resolves({});
    const ran: string[] = [];
    const done: string[] = [];
    const steps = [
      ...Array.from({ length: 27 }, (_, n) => put('telemetry', n)),
      put('other', 0),
      { id: 'run', run: async () => void ran.push('run') },
    ];

    await runSteps(steps, { done: (id) => done.push(id) });

    const calls = documentClient
      .commandCalls(BatchWriteCommand)
      .map((call) => call.args[0].input.RequestItems);
    expect(calls.map((items) => Object.keys(items ?? {}))).toEqual([['telemetry'], ['telemetry'], ['other']]);
    expect(calls.map((items) => Object.values(items ?? {})[0]?.length)).toEqual([25, 2, 1]);
    expect(calls[0]?.telemetry?.[0]).toEqual({ PutRequest: { Item: { pk: 'P#0', sk: 'delta#1#x#0' } } });
    expect(ran).toEqual(['run']);
    expect(done.sort()).toEqual(steps.map((step) => step.id).sort());
  });

  it('leave out the steps an earlier attempt applied, and report none of a failed request', async () => {
    documentClient.on(BatchWriteCommand).rejects(new Error('down'));
    const done: string[] = [];
    const steps = [put('telemetry', 0), put('telemetry', 1), { id: 'run', run: async () => undefined }];

    await expect(
      runSteps(steps, { skip: new Set(['telemetry/0']), done: (id) => done.push(id) }),
    ).rejects.toThrow('down');

    const calls = documentClient.commandCalls(BatchWriteCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input.RequestItems?.telemetry).toEqual([
      { PutRequest: { Item: { pk: 'P#1', sk: 'delta#1#x#0' } } },
    ]);
    expect(done).toEqual(['run']);
  });
});
