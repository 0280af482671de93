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

/**
 * Points the functions' DynamoDB client and table variables at a local endpoint, as the stack
 * does in AWS. Function modules read them when they load: call this before importing them.
 */
export function useLocalDynamoDb(
  endpoint: string,
  tableNames: Record<TableId, string>,
  extra: Record<string, string> = {},
): void {
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    AWS_REGION: 'local',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    GOVERNANCE_TABLE: tableNames.Governance,
    TELEMETRY_TABLE: tableNames.Telemetry,
    ...extra,
  });
}
