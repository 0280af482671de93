import { describe, expect, it } from 'vitest';
import { governanceTable, telemetryTable } from '../../lib/tables.ts';
import { createTableInput, localTableNames } from '../../local/dynamodb.ts';

describe('createTableInput', () => {
  it('declares each key attribute once, with the keys and indexes of the definition', () => {
    const input = createTableInput(governanceTable, 'vigil-governance');
    expect(input).toEqual({
      TableName: 'vigil-governance',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'gsi1pk', AttributeType: 'S' },
        { AttributeName: 'gsi1sk', AttributeType: 'S' },
        { AttributeName: 'openpk', AttributeType: 'S' },
        { AttributeName: 'opensk', AttributeType: 'S' },
        { AttributeName: 'endedpk', AttributeType: 'S' },
        { AttributeName: 'endedsk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'gsi1',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: 'open',
          KeySchema: [
            { AttributeName: 'openpk', KeyType: 'HASH' },
            { AttributeName: 'opensk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: 'ended',
          KeySchema: [
            { AttributeName: 'endedpk', KeyType: 'HASH' },
            { AttributeName: 'endedsk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });

  it('omits indexes for a table without any', () => {
    expect(createTableInput(telemetryTable, 't').GlobalSecondaryIndexes).toBeUndefined();
  });

  it('names local tables after their definitions', () => {
    expect(localTableNames()).toEqual({ Telemetry: 'vigil-telemetry', Governance: 'vigil-governance' });
  });
});
