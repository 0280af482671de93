import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '#clients/dynamodb';
import { requireEnv } from '#commons/config';
import { HttpError } from '#commons/http';
import type { ColumnDrift, DatasetDrift } from '#drift/types';
import type { EstimatedPerformance } from '../cbpe/estimate.ts';
import type { QualityCheck } from '../quality/checks.ts';
import type { SegmentCounts, SegmentEvaluation } from '../segments/evaluate.ts';
import type { ServedVersion } from '../telemetry/versions.ts';
import type { UsedWindow } from './extend.ts';
import { SUMMARY_REASON_CHARS } from './format.ts';
import type { PerformanceFromActuals, ThresholdCheck } from './performance.ts';
import type { SeasonalReference } from './seasonal.ts';

const table = requireEnv('GOVERNANCE_TABLE');

export const evaluationKeys = {
  evaluation: (evaluationId: string) => ({ pk: `EVAL#${evaluationId}`, sk: '#EVAL' }),
  /** gsi1 of a model's evaluations, in window order: `gsi1sk` = `{windowEnd}#{evaluationId}`. */
  index: (modelId: string) => `EVALS#${modelId}`,
  indexSort: (windowEnd: string, evaluationId: string) => `${windowEnd}#${evaluationId}`,
  /** The model's scheduling state: last scheduled run and the current run of breaching windows. */
  state: (modelId: string) => ({ pk: `MODEL#${modelId}`, sk: 'EVAL_STATE' }),
} as const;

export type EvaluationStatus = 'ok' | 'breach' | 'insufficient_data';

/** One evaluation of a model's window against its baseline and thresholds. */
export interface EvaluationRecord {
  readonly evaluationId: string;
  readonly modelId: string;
  readonly trigger: 'schedule' | 'manual';
  readonly windowStart: string;
  readonly windowEnd: string;
  /** The window used, when the model may extend it (`schedule.extendUntilMinSamples`). */
  readonly window?: UsedWindow;
  readonly createdAt: string;
  readonly status: EvaluationStatus;
  /** Why the evaluation breached, in words (empty when it did not). */
  readonly reasons: string[];
  readonly productionVersion?: string;
  readonly baselineVersion: number;
  readonly baselineCreatedAt?: string;
  /**
   * The baseline is due for its review: `governance.baselineReviewDays` (90 by default) have
   * passed since it was fitted or last reviewed (SOP Appendix A); the model's baseline_review
   * incident asks the Data Science Lead to keep or replace it.
   */
  readonly baselineStale: boolean;
  /** Predictions in the window, and the minimum the model needs for a verdict. */
  readonly samples: number;
  readonly minSamples: number;
  /** Per-feature drift and the dataset verdict, in the shape of docs/drift.md. */
  readonly drift: { readonly columns: ColumnDrift[]; readonly dataset: DatasetDrift };
  /** Drift of the model's output. */
  readonly predictionDrift: ColumnDrift | null;
  /** Per feature, the missing share in the baseline and in the window. */
  readonly missing: Record<string, { reference: number; current: number; change: number }>;
  /** The features' data-quality checks (quality/checks.ts); absent when no feature has a rule. */
  readonly quality?: QualityCheck[];
  readonly performance: {
    readonly fromActuals: PerformanceFromActuals;
    /** Ingested metric points: count and mean per name. */
    readonly points: Record<string, { count: number; mean: number }>;
    readonly checks: ThresholdCheck[];
  };
  /** User feedback (SOP metric 4): count, per 1,000 predictions, by category. */
  readonly complaints: {
    count: number;
    perThousandPredictions: number | null;
    byCategory: Record<string, number>;
  };
  /** Performance estimated from calibrated scores, before the actuals (docs/drift.md). */
  readonly estimatedPerformance?: EstimatedPerformance;
  /** The seasonal reference: the lagged window and its dataset verdict (docs/drift.md). */
  readonly reference?: SeasonalReference;
  /** The incident this evaluation opened or was attached to. */
  readonly incidentId?: string;
  /** Per segment of the baseline: drift and performance, breaching ones first (docs/drift.md, Segments). */
  readonly segments?: SegmentEvaluation[];
  readonly segmentCounts?: SegmentCounts;
  /** Predictions per served model version (`none`: sent without one; `other`: past the first 20), most first. */
  readonly versions?: readonly ServedVersion[];
}

/** What a list of evaluations shows of each: enough to pick one and read it whole. */
export type EvaluationSummary = Pick<
  EvaluationRecord,
  | 'evaluationId'
  | 'modelId'
  | 'trigger'
  | 'windowStart'
  | 'windowEnd'
  | 'createdAt'
  | 'status'
  | 'reasons'
  | 'samples'
  | 'minSamples'
  | 'baselineVersion'
  | 'productionVersion'
  | 'incidentId'
>;

export { SUMMARY_REASON_CHARS };

export function summaryOf(record: EvaluationRecord): EvaluationSummary {
  return {
    evaluationId: record.evaluationId,
    modelId: record.modelId,
    trigger: record.trigger,
    windowStart: record.windowStart,
    windowEnd: record.windowEnd,
    createdAt: record.createdAt,
    status: record.status,
    reasons: record.reasons.map((reason) =>
      reason.length > SUMMARY_REASON_CHARS ? `${reason.slice(0, SUMMARY_REASON_CHARS - 1)}…` : reason,
    ),
    samples: record.samples,
    minSamples: record.minSamples,
    baselineVersion: record.baselineVersion,
    ...(record.productionVersion !== undefined ? { productionVersion: record.productionVersion } : {}),
    ...(record.incidentId !== undefined ? { incidentId: record.incidentId } : {}),
  };
}

/**
 * Stores an evaluation. Its statistics go in one JSON attribute: DynamoDB numbers cannot hold
 * every double (a p-value of 1e-300 underflows their range), and docs/drift.md asks for full
 * double precision. The fields that queries and conditions need stay top-level attributes.
 */
export async function putEvaluation(record: EvaluationRecord): Promise<void> {
  await dynamoDb.send(
    new PutCommand({
      TableName: table,
      Item: {
        ...evaluationKeys.evaluation(record.evaluationId),
        gsi1pk: evaluationKeys.index(record.modelId),
        gsi1sk: evaluationKeys.indexSort(record.windowEnd, record.evaluationId),
        evaluationId: record.evaluationId,
        modelId: record.modelId,
        status: record.status,
        windowStart: record.windowStart,
        windowEnd: record.windowEnd,
        createdAt: record.createdAt,
        summary: JSON.stringify(summaryOf(record)),
        data: JSON.stringify(record),
      },
    }),
  );
}

export async function setEvaluationIncident(evaluationId: string, incidentId: string): Promise<void> {
  await dynamoDb.send(
    new UpdateCommand({
      TableName: table,
      Key: evaluationKeys.evaluation(evaluationId),
      UpdateExpression: 'SET incidentId = :id',
      ExpressionAttributeValues: { ':id': incidentId },
    }),
  );
}

function fromItem(item: Record<string, unknown>): EvaluationRecord {
  const record = JSON.parse(item.data as string) as EvaluationRecord;
  return item.incidentId ? { ...record, incidentId: item.incidentId as string } : record;
}

export async function getEvaluation(evaluationId: string): Promise<EvaluationRecord | undefined> {
  const { Item } = await dynamoDb.send(
    new GetCommand({ TableName: table, Key: evaluationKeys.evaluation(evaluationId) }),
  );
  return Item ? fromItem(Item) : undefined;
}

/** The evaluation, or a 404 naming it. */
export async function loadEvaluation(evaluationId: string): Promise<EvaluationRecord> {
  const evaluation = await getEvaluation(evaluationId);
  if (!evaluation) {
    throw new HttpError(404, 'not_found', `No evaluation ${evaluationId}`, [
      { path: 'evaluationId', message: 'unknown evaluation' },
    ]);
  }
  return evaluation;
}

/** A model's evaluations, newest window first. */
export async function listEvaluations(
  modelId: string,
  options: { limit?: number; from?: string; to?: string } = {},
): Promise<EvaluationRecord[]> {
  const out: EvaluationRecord[] = [];
  let start: Record<string, unknown> | undefined;
  const limit = options.limit ?? 100;
  do {
    const page = await dynamoDb.send(
      new QueryCommand({
        TableName: table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': evaluationKeys.index(modelId),
          ':from': options.from ?? '0',
          ':to': `${options.to ?? '9999'}\uffff`,
        },
        ScanIndexForward: false,
        ExclusiveStartKey: start,
        Limit: limit - out.length,
      }),
    );
    for (const item of page.Items ?? []) out.push(fromItem(item));
    start = page.LastEvaluatedKey;
  } while (start && out.length < limit);
  return out;
}

/**
 * One page of a model's evaluation summaries, newest window first, and the key to resume after
 * it when there may be more. Reads the `summary` attribute alone; an evaluation stored before
 * summaries were kept is read whole once to make its summary.
 */
export async function listEvaluationSummaries(
  modelId: string,
  options: { limit: number; from?: string; to?: string; after?: Record<string, string> },
): Promise<{ evaluations: EvaluationSummary[]; nextKey?: Record<string, unknown> }> {
  const evaluations: EvaluationSummary[] = [];
  let start: Record<string, unknown> | undefined = options.after;
  do {
    const page = await dynamoDb.send(
      new QueryCommand({
        TableName: table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': evaluationKeys.index(modelId),
          ':from': options.from ?? '0',
          ':to': `${options.to ?? '9999'}\uffff`,
        },
        ProjectionExpression: 'pk, sk, gsi1pk, gsi1sk, summary, incidentId',
        ScanIndexForward: false,
        ExclusiveStartKey: start,
        Limit: options.limit - evaluations.length,
      }),
    );
    for (const item of page.Items ?? []) {
      if (typeof item.summary === 'string') {
        const summary = JSON.parse(item.summary) as EvaluationSummary;
        evaluations.push(item.incidentId ? { ...summary, incidentId: item.incidentId as string } : summary);
      } else {
        const whole = await getEvaluation(String(item.pk).slice('EVAL#'.length));
        if (whole) evaluations.push(summaryOf(whole));
      }
    }
    start = page.LastEvaluatedKey;
  } while (start && evaluations.length < options.limit);
  return { evaluations, ...(start ? { nextKey: start } : {}) };
}

/** Whether a page key is one of the model's evaluation index (see {@link listEvaluationSummaries}). */
export function isEvaluationPageKey(modelId: string, key: Record<string, string>): boolean {
  return (
    key.gsi1pk === evaluationKeys.index(modelId) &&
    typeof key.gsi1sk === 'string' &&
    typeof key.pk === 'string' &&
    key.pk.startsWith('EVAL#') &&
    key.sk === '#EVAL' &&
    Object.keys(key).length === 4
  );
}

/**
 * Updates the model's run of consecutive breaching windows and returns its length: a breach
 * counts once per window, however often that window is evaluated (a window is identified by its
 * aligned end; the run counts only windows later than the last one it counted); an ok window
 * ends the run; without enough data the run stays as it is.
 */
export async function recordOutcome(
  modelId: string,
  status: EvaluationStatus,
  windowEnd: string,
): Promise<number> {
  const readStreak = async () => {
    const { Item } = await dynamoDb.send(
      new GetCommand({ TableName: table, Key: evaluationKeys.state(modelId), ConsistentRead: true }),
    );
    return Number(Item?.breachStreak ?? 0);
  };
  if (status === 'insufficient_data') return readStreak();
  if (status !== 'breach') {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: table,
        Key: evaluationKeys.state(modelId),
        UpdateExpression: 'SET breachStreak = :zero REMOVE breachWindowEnd',
        ExpressionAttributeValues: { ':zero': 0 },
      }),
    );
    return 0;
  }
  try {
    const { Attributes } = await dynamoDb.send(
      new UpdateCommand({
        TableName: table,
        Key: evaluationKeys.state(modelId),
        UpdateExpression: 'ADD breachStreak :one SET breachWindowEnd = :end',
        ConditionExpression: 'attribute_not_exists(breachWindowEnd) OR breachWindowEnd < :end',
        ExpressionAttributeValues: { ':one': 1, ':end': windowEnd },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Number(Attributes?.breachStreak ?? 0);
  } catch (error) {
    // This window (or a later one) was counted already.
    if ((error as Error).name === 'ConditionalCheckFailedException') return readStreak();
    throw error;
  }
}

/** How long a claim on a model's scheduled run holds: longer than any invocation runs (Lambda's limit). */
const RUN_LEASE_SECONDS = 900;

/**
 * Claims the model's scheduled run when it is due: `lastScheduledAt` is `every` (seconds) or more
 * behind `now`, or, given a cron fire time, before that time; and no other invocation holds the run. The claim is a lease (`runOwner`, `runLeaseUntil`)
 * taken with a conditional write, so overlapping invocations evaluate a model once; the run is
 * recorded ({@link completeScheduledRun}) only once its evaluation is stored and acted on, so a
 * run that fails leaves the model due for the next tick. Returns the owner token, or undefined.
 */
export async function claimScheduledRun(
  modelId: string,
  now: Date,
  everySeconds: number | { readonly firedAt: Date },
): Promise<string | undefined> {
  const due =
    typeof everySeconds === 'number'
      ? new Date(now.getTime() - everySeconds * 1000)
      : new Date(everySeconds.firedAt.getTime() - 1);
  const owner = randomUUID();
  try {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: table,
        Key: evaluationKeys.state(modelId),
        UpdateExpression: 'SET runOwner = :owner, runLeaseUntil = :until',
        ConditionExpression:
          '(attribute_not_exists(lastScheduledAt) OR lastScheduledAt <= :due) AND (attribute_not_exists(runLeaseUntil) OR runLeaseUntil < :now)',
        ExpressionAttributeValues: {
          ':owner': owner,
          ':until': now.getTime() + RUN_LEASE_SECONDS * 1000,
          ':due': due.toISOString(),
          ':now': now.getTime(),
        },
      }),
    );
    return owner;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return undefined;
    throw error;
  }
}

/** Records a claimed run as done at `now` and ends the claim: the model is due again `every` later. */
export async function completeScheduledRun(modelId: string, owner: string, now: Date): Promise<void> {
  await endClaim(modelId, owner, 'SET lastScheduledAt = :now REMOVE runOwner, runLeaseUntil', {
    ':now': now.toISOString(),
  });
}

/** Ends a claim without recording the run: the model stays due, and the next tick retries it. */
export async function releaseScheduledRun(modelId: string, owner: string): Promise<void> {
  await endClaim(modelId, owner, 'REMOVE runOwner, runLeaseUntil', {});
}

async function endClaim(
  modelId: string,
  owner: string,
  update: string,
  values: Record<string, string>,
): Promise<void> {
  try {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: table,
        Key: evaluationKeys.state(modelId),
        UpdateExpression: update,
        ConditionExpression: 'runOwner = :owner',
        ExpressionAttributeValues: { ':owner': owner, ...values },
      }),
    );
  } catch (error) {
    // The lease ran out and another invocation took the run over: it records the run.
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
  }
}
