import { type AttributeValue, GetItemCommand } from '@aws-sdk/client-dynamodb';
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
  return nativeValue({ M: Item }) as IngestModel;
}

/**
 * A DynamoDB attribute value as the document client reads it (its `unmarshall`): numbers as
 * JavaScript numbers, sets as `Set`s, binary as bytes. Model items hold strings, numbers,
 * booleans, lists and maps.
 */
export function nativeValue(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return numberOf(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.M !== undefined) {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value.M)) out[key] = nativeValue(member);
    return out;
  }
  if (value.L !== undefined) return value.L.map(nativeValue);
  if (value.NULL !== undefined) return null;
  if (value.SS !== undefined) return new Set(value.SS);
  if (value.NS !== undefined) return new Set(value.NS.map(numberOf));
  if (value.B !== undefined) return value.B;
  if (value.BS !== undefined) return new Set(value.BS);
  throw new Error(`An attribute value of no known type: ${Object.keys(value).join(', ')}`);
}

/**
 * A stored number as `unmarshall` reads it: a JavaScript number, or a BigInt past the safe
 * integers (a number of that size that is no integer is refused, as `unmarshall` refuses it).
 */
function numberOf(text: string): number | bigint {
  const number = Number(text);
  if (Number.isFinite(number) && !(Math.abs(number) <= Number.MAX_SAFE_INTEGER)) {
    try {
      return BigInt(text);
    } catch {
      throw new Error(`The stored number ${text} fits neither a JavaScript number nor a BigInt`);
    }
  }
  return number;
}
