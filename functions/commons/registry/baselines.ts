import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '#clients/dynamodb';
import { requireEnv } from '#commons/config';
import { HttpError } from '#commons/http';
import { fitReferenceProfile, type ReferenceProfile } from '#drift/profile';
import type { Calibration } from '../cbpe/calibration.ts';
import { checkCalibrationRecords, fitCalibration } from '../cbpe/records.ts';
import { putSegmentProfiles } from '../segments/baseline.ts';
import { PREDICTION_COLUMN } from '../telemetry/keys.ts';
import { checkRecords, IssueList } from '../telemetry/records.ts';
import { useBaseline } from './baseline-use.ts';
import { governanceKeys as keys } from './keys.ts';
import type { ModelRecord } from './store.ts';

// Reading a baseline (evaluations, ingestion, reports) is a module of its own: it loads none of
// the record checks that fitting one needs.
export { getBaseline, referenceProfiles } from './baseline-reads.ts';

const table = requireEnv('GOVERNANCE_TABLE');

export interface BaselineInput {
  readonly records: readonly {
    features: Record<string, unknown>;
    prediction: unknown;
    score?: number;
    actual?: unknown;
  }[];
  readonly metrics: Record<string, number>;
}

export interface BaselineRecord {
  readonly modelId: string;
  readonly baselineVersion: number;
  readonly createdAt: string;
  readonly records: number;
  readonly metrics: Record<string, number>;
  /** Per column: type, values and missing values in the reference. */
  readonly columns: Record<string, { type: 'numerical' | 'categorical'; count: number; missing: number }>;
  /** With a positive class: the calibration of estimated performance (stored as JSON text). */
  readonly calibration?: Calibration;
  /** Per segment feature, how many segments it has (its tracked values and `__other__`). */
  readonly segments?: Record<string, number>;
}

/**
 * Bytes of JSON the tracked category names of one reference profile may take: with at most
 * 1,000 categories (the drift module's default), a profile item stays under 100 KB, and the
 * performance counters of a bucket, three per class label, stay under 300 KB.
 */
export const REFERENCE_CATEGORY_BYTES = 64 * 1024;

/** Reference profiles of one baseline, by column (features and `@prediction`). */
export type ReferenceProfiles = ReadonlyMap<string, ReferenceProfile>;

/** The type of the prediction column: a class label, or a regression's number. */
export function predictionType(model: ModelRecord): 'numerical' | 'categorical' {
  return model.task === 'regression' ? 'numerical' : 'categorical';
}

/**
 * Fits a new baseline: checks the records against the model, fits the reference profile of
 * every feature and of the prediction (the drift bins of docs/drift.md), stores the profiles, then the
 * baseline, then makes it the model's baseline in use (unless `use: false`). Baselines are numbered 1, 2, ...; an
 * older baseline is never changed, so window profiles binned by it stay meaningful.
 */
export async function putBaseline(
  model: ModelRecord,
  input: BaselineInput,
  /** `use: false` fits and keeps the baseline without putting it in use (a review's QA decides). */
  options: { readonly use?: boolean } = {},
): Promise<BaselineRecord> {
  const issues = new IssueList();
  checkRecords(model, input.records, Date.now(), issues);
  checkCalibrationRecords(model, input.records, issues);
  if (issues.count > 0) {
    throw new HttpError(
      400,
      'invalid_request',
      `The baseline has ${issues.count} invalid value(s)`,
      issues.issues,
    );
  }
  const calibration = fitCalibration(model, input.records);

  const { Attributes } = await dynamoDb.send(
    new UpdateCommand({
      TableName: table,
      Key: keys.model(model.modelId),
      UpdateExpression: 'ADD baselineCounter :one',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  const baselineVersion = Number(Attributes?.baselineCounter);
  const createdAt = new Date().toISOString();

  const columns: BaselineRecord['columns'] = {};
  const fitColumn = async (column: string, type: 'numerical' | 'categorical', values: unknown[]) => {
    const profile = fitReferenceProfile(values, type, {
      bins: model.thresholds.bins,
      maxCategoryBytes: REFERENCE_CATEGORY_BYTES,
    });
    columns[column] = { type, count: profile.count, missing: profile.missing };
    await dynamoDb.send(
      new PutCommand({
        TableName: table,
        Item: {
          ...keys.baselineFeature(model.modelId, baselineVersion, column),
          column,
          profile: JSON.stringify(profile),
        },
      }),
    );
  };
  for (const feature of model.features) {
    await fitColumn(
      feature.name,
      feature.type,
      input.records.map((r) => r.features[feature.name] ?? null),
    );
  }
  await fitColumn(
    PREDICTION_COLUMN,
    predictionType(model),
    input.records.map((r) => r.prediction),
  );
  const segments = await putSegmentProfiles(
    model,
    baselineVersion,
    input.records,
    (values, type) =>
      fitReferenceProfile(values, type, {
        bins: model.thresholds.bins,
        maxCategoryBytes: REFERENCE_CATEGORY_BYTES,
      }),
    predictionType(model),
  );

  const baseline: BaselineRecord = {
    modelId: model.modelId,
    baselineVersion,
    createdAt,
    records: input.records.length,
    metrics: input.metrics,
    columns,
    ...(calibration ? { calibration } : {}),
    ...(segments.length > 0
      ? { segments: Object.fromEntries(segments.map((s) => [s.feature, s.values.length])) }
      : {}),
  };
  await dynamoDb.send(
    new PutCommand({
      TableName: table,
      Item: {
        ...keys.baseline(model.modelId, baselineVersion),
        ...baseline,
        // Text: thresholds are doubles of any magnitude, which DynamoDB numbers are not.
        ...(calibration ? { calibration: JSON.stringify(calibration) } : {}),
      },
    }),
  );
  if (options.use ?? true) await useBaseline(model.modelId, baselineVersion, createdAt);
  return baseline;
}

export { useBaseline };
