import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { hotDynamoDbClient } from '#clients/dynamodb-low-level';
import { requireEnv } from '#commons/config';
import { HttpError } from '#commons/http';
import { governanceKeys as keys } from './keys.ts';
import type { ModelRecord } from './store.ts';

const table = requireEnv('GOVERNANCE_TABLE');

/**
 * What the ingest routes read of a model: its data schema (features, task, positive class,
 * segments), where its window profiles go (schedule, baseline, write shards, seasonal
 * reference), whether it expects ground truth, and which versions may serve (with its name, for
 * the incident of a version that may not). The rest of the item (approvers, thresholds, owner,
 * governance roles...) is the workflow's, and is not read.
 */
export const INGEST_MODEL_FIELDS = [
  'modelId',
  'name',
  'task',
  'positiveClass',
  'features',
  'schedule',
  'groundTruth',
  'writeShards',
  'reference',
  'segments',
  'baselineVersion',
  'productionVersion',
  'previousVersion',
  'productionSince',
] as const satisfies readonly (keyof ModelRecord)[];

/** The model as ingest reads it: {@link INGEST_MODEL_FIELDS}, and the stabilisation of its governance. */
export type IngestModel = Pick<ModelRecord, (typeof INGEST_MODEL_FIELDS)[number]> & {
  readonly governance: Pick<ModelRecord['governance'], 'stabilisationSeconds'>;
};

/** The projection of the read: every ingest field, and `governance.stabilisationSeconds` alone. */
const projection = {
  ProjectionExpression: [
    ...INGEST_MODEL_FIELDS.map((_, i) => `#f${i}`),
    '#governance.#stabilisationSeconds',
  ].join(', '),
  ExpressionAttributeNames: {
    ...Object.fromEntries(INGEST_MODEL_FIELDS.map((field, i) => [`#f${i}`, field])),
    '#governance': 'governance',
    '#stabilisationSeconds': 'stabilisationSeconds',
  },
};

/**
 * The model of an ingest request, read as every request reads it: strongly consistent, so a
 * feature removed or a version promoted a moment ago applies to the very next batch (no cache).
 * Only the attributes ingest uses are read (the read's capacity is the whole item's all the same),
 * by the low-level client of the hot path, so that the item's other attributes are neither
 * sent nor converted. A 404 naming the model when it is not registered.
 */
export async function loadIngestModel(modelId: string): Promise<IngestModel> {
  const { pk, sk } = keys.model(modelId);
  const { Item } = await hotDynamoDbClient.send(
    new GetItemCommand({
      TableName: table,
      Key: { pk: { S: pk }, sk: { S: sk } },
      ConsistentRead: true,
      ...projection,
    }),
  );
  if (!Item?.modelId) {
    throw new HttpError(404, 'not_found', `Model ${modelId} is not registered`, [
      { path: 'modelId', message: 'unknown model' },
    ]);
  }
  // As the document client reads an item: numbers as numbers (BigInt past the safe integers).
  return unmarshall(Item) as IngestModel;
}
