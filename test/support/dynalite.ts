import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TableId } from '../../lib/tables.ts';
import { ensureTables, localDynamoDbClient, localTableNames, startDynalite } from '../../local/dynamodb.ts';

export interface TestDynamoDb {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly tableNames: Record<TableId, string>;
  close(): Promise<void>;
}

/** dynalite in memory on a free port, with Vigil's tables created from the shared definitions. */
export async function startTestDynamoDb(): Promise<TestDynamoDb> {
  const server = await startDynalite();
  const client = localDynamoDbClient(server.endpoint);
  const tableNames = localTableNames();
  await ensureTables(client, tableNames);
  return {
    endpoint: server.endpoint,
    client,
    tableNames,
    close: async () => {
      client.destroy();
      await server.close();
    },
  };
}
