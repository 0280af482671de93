import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '#clients/dynamodb';
import { forEachConcurrently } from '#commons/concurrency';
import { requireEnv } from '#commons/config';
import type { ReferenceProfile } from '#drift/profile';
import type { ModelRecord } from '../registry/store.ts';
import { PREDICTION_COLUMN } from '../telemetry/keys.ts';
import { batchPut } from '../telemetry/writes.ts';
import {
  SEGMENT_PREFIX,
  SegmentAssigner,
  type SegmentValue,
  segmentColumn,
  topSegmentValues,
} from './columns.ts';

const table = requireEnv('GOVERNANCE_TABLE');

/** Where a baseline's segment items live: its reference profiles' partition (registry/keys.ts). */
const partition = (modelId: string, baselineVersion: number) => `BASELINE#${modelId}#${baselineVersion}`;
const INDEX_PREFIX = 'SEGMENTS#';

/** The segments of one feature in a baseline, as its index item keeps them. */
export interface SegmentIndex {
  readonly feature: string;
  readonly values: readonly SegmentValue[];
}

type BaselineRow = { readonly features: Record<string, unknown>; readonly prediction: unknown };

/** A baseline's segments fitted: the index of each segment feature, and the profiles by delta column. */
export interface FittedSegments {
  readonly indexes: SegmentIndex[];
  readonly profiles: Map<string, ReferenceProfile>;
}

/**
 * Fits a baseline's segments: per segment feature of the model, its tracked values
 * ({@link topSegmentValues}), and per value and column (every feature and the prediction) the
 * reference profile fitted by `fitProfile` from the baseline records of that value, keyed by the
 * column's delta name (`@segment#{feature}#{key}#{column}`).
 */
export function fitSegmentProfiles(
  model: Pick<ModelRecord, 'features' | 'segments'>,
  records: readonly BaselineRow[],
  fitProfile: (values: unknown[], type: 'numerical' | 'categorical') => ReferenceProfile,
  predictionType: 'numerical' | 'categorical',
): FittedSegments {
  const indexes: SegmentIndex[] = [];
  const profiles = new Map<string, ReferenceProfile>();
  const columns = [
    ...model.features.map((f) => ({
      name: f.name,
      type: f.type,
      value: (r: BaselineRow) => r.features[f.name] ?? null,
    })),
    { name: PREDICTION_COLUMN, type: predictionType, value: (r: BaselineRow) => r.prediction },
  ];
  for (const feature of model.segments ?? []) {
    const values = topSegmentValues(records.map((r) => r.features[feature]));
    const assigner = new SegmentAssigner(values.map((v) => v.key));
    const groups = new Map<string, BaselineRow[]>(values.map((v) => [v.key, []]));
    const cache = new Map<string, string>();
    for (const record of records) {
      const key = assigner.keyOf(record.features[feature], cache);
      if (key !== undefined) groups.get(key)?.push(record);
    }
    for (const { key } of values) {
      const members = groups.get(key) ?? [];
      for (const column of columns) {
        profiles.set(
          segmentColumn(feature, key, column.name),
          fitProfile(members.map(column.value), column.type),
        );
      }
    }
    indexes.push({ feature, values });
  }
  return { indexes, profiles };
}

/**
 * Fits ({@link fitSegmentProfiles}) and stores a baseline's segments: per segment feature, the
 * index of its tracked values (one item, `SEGMENTS#{feature}`: at most 51 values of 256
 * characters), and each segment profile as an item of its own
 * (`FEATURE#@segment#{feature}#{key}#{column}`, bounded like any reference profile). They share
 * the partition of the baseline's other profiles, so `referenceProfiles` reads them with the
 * rest, keyed by their delta column.
 */
export async function putSegmentProfiles(
  model: ModelRecord,
  baselineVersion: number,
  records: readonly BaselineRow[],
  fitProfile: (values: unknown[], type: 'numerical' | 'categorical') => ReferenceProfile,
  predictionType: 'numerical' | 'categorical',
): Promise<SegmentIndex[]> {
  const pk = partition(model.modelId, baselineVersion);
  const { indexes, profiles } = fitSegmentProfiles(model, records, fitProfile, predictionType);
  // Profiles first, the indexes last: a reader that finds an index finds its profiles. Up to
  // 3 × 51 × 101 items: written 25 to a request, 8 requests at a time.
  const items = [...profiles].map(([column, profile]) => ({
    pk,
    sk: `FEATURE#${column}`,
    column,
    profile: JSON.stringify(profile),
  }));
  const chunks = Array.from({ length: Math.ceil(items.length / 25) }, (_, i) =>
    items.slice(i * 25, i * 25 + 25),
  );
  await forEachConcurrently(chunks, 8, (chunk) => batchPut(table, chunk));
  await batchPut(
    table,
    indexes.map(({ feature, values }) => ({
      pk,
      sk: `${INDEX_PREFIX}${feature}`,
      feature,
      values: JSON.stringify(values),
    })),
  );
  return indexes;
}

/** The segment indexes of a baseline (none for a baseline fitted without segments). */
export async function getSegmentIndexes(modelId: string, baselineVersion: number): Promise<SegmentIndex[]> {
  const indexes: SegmentIndex[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamoDb.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': partition(modelId, baselineVersion), ':prefix': INDEX_PREFIX },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? [])
      indexes.push({ feature: String(item.feature), values: JSON.parse(String(item.values)) });
    start = page.LastEvaluatedKey;
  } while (start);
  return indexes;
}

/** What ingestion counts for one segment feature of a baseline. */
export interface SegmentPlan {
  readonly feature: string;
  readonly assigner: SegmentAssigner;
  /** Per segment key, the columns it has profiles for (features and `@prediction`), in model order. */
  readonly columns: ReadonlyMap<
    string,
    readonly { name: string; column: string; profile: ReferenceProfile }[]
  >;
}

const plans = new WeakMap<ReadonlyMap<string, ReferenceProfile>, SegmentPlan[]>();

/**
 * The segment plans of a baseline's profiles (the segment columns among them): the segment
 * features the baseline was fitted with, whatever the model declares now. Computed once per
 * profile set.
 */
export function segmentPlans(profiles: ReadonlyMap<string, ReferenceProfile>): SegmentPlan[] {
  let cached = plans.get(profiles);
  if (cached) return cached;
  const byFeature = new Map<
    string,
    Map<string, { name: string; column: string; profile: ReferenceProfile }[]>
  >();
  for (const [name, profile] of profiles) {
    if (!name.startsWith(SEGMENT_PREFIX)) continue;
    const [feature, key, column] = name.slice(SEGMENT_PREFIX.length).split('#') as [string, string, string];
    let keys = byFeature.get(feature);
    if (!keys) {
      keys = new Map();
      byFeature.set(feature, keys);
    }
    let list = keys.get(key);
    if (!list) {
      list = [];
      keys.set(key, list);
    }
    list.push({ name, column, profile });
  }
  cached = [...byFeature].map(([feature, keys]) => ({
    feature,
    assigner: new SegmentAssigner(keys.keys()),
    columns: keys,
  }));
  plans.set(profiles, cached);
  return cached;
}
