/**
 * The DynamoDB tables of Vigil, defined once. The CDK stateful stack and the local runtime's
 * bootstrap both build their tables from these definitions, so the key schema and the indexes
 * are the same in AWS and on a laptop.
 *
 * Telemetry (high volume, short-lived) and governance records (low volume, kept) live in two
 * tables because their lifecycles differ: telemetry items carry a TTL, governance items never
 * expire and the audit trail is append-only.
 */
export type KeyAttributeType = 'S' | 'N';

export interface KeyAttribute {
  readonly name: string;
  readonly type: KeyAttributeType;
}

export interface GlobalIndexDefinition {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
}

export interface TableDefinition {
  /** Logical id in CDK and the suffix of the local table name. */
  readonly id: string;
  /** Environment variable that carries the physical table name to the functions. */
  readonly envVar: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly globalIndexes: readonly GlobalIndexDefinition[];
  /** Attribute holding an epoch-seconds expiry, when items of the table expire. */
  readonly timeToLiveAttribute?: string;
}

const pk: KeyAttribute = { name: 'pk', type: 'S' };
const sk: KeyAttribute = { name: 'sk', type: 'S' };

export const telemetryTable = {
  id: 'Telemetry',
  envVar: 'TELEMETRY_TABLE',
  partitionKey: pk,
  sortKey: sk,
  globalIndexes: [],
  timeToLiveAttribute: 'expiresAt',
} as const satisfies TableDefinition;

export const governanceTable = {
  id: 'Governance',
  envVar: 'GOVERNANCE_TABLE',
  partitionKey: pk,
  sortKey: sk,
  globalIndexes: [
    {
      indexName: 'gsi1',
      partitionKey: { name: 'gsi1pk', type: 'S' },
      sortKey: { name: 'gsi1sk', type: 'S' },
    },
    // Sparse: only open incidents carry `openpk`/`opensk` (functions/commons/incidents/open-index.ts),
    // so listing them reads what is open, not every incident ever opened.
    {
      indexName: 'open',
      partitionKey: { name: 'openpk', type: 'S' },
      sortKey: { name: 'opensk', type: 'S' },
    },
    // Sparse: only ended incidents carry `endedpk` (`ENDED#{modelId}`) / `endedsk` (`{closedAt}#{id}`)
    // (functions/commons/incidents/ended-index.ts), so a report reads a model's incidents ended in
    // its period, not every incident ever opened.
    {
      indexName: 'ended',
      partitionKey: { name: 'endedpk', type: 'S' },
      sortKey: { name: 'endedsk', type: 'S' },
    },
  ],
  timeToLiveAttribute: 'expiresAt',
} as const satisfies TableDefinition;

export const tables: readonly [typeof telemetryTable, typeof governanceTable] = [
  telemetryTable,
  governanceTable,
];

export type TableId = (typeof tables)[number]['id'];
