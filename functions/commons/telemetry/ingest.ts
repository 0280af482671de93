import { randomInt, randomUUID } from 'node:crypto';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '#clients/dynamodb';
import { forEachConcurrently } from '#commons/concurrency';
import { requireEnv } from '#commons/config';
import { HttpError } from '#commons/http';
import { ColumnCounter, OTHER_CATEGORY, type ReferenceProfile } from '#drift/profile';
import { referenceProfiles } from '../registry/baselines.ts';
import { governanceKeys } from '../registry/keys.ts';
import { durationSeconds } from '../registry/schema.ts';
import type { ModelRecord } from '../registry/store.ts';
import { BatchLedger } from './batches.ts';
import { deltaId, deltaItems, putDeltaItem } from './deltas.ts';
import {
  bucketResolution,
  bucketStart,
  FEEDBACK_COLUMN,
  metricColumn,
  PERFORMANCE_COLUMN,
  PREDICTION_COLUMN,
  telemetryKeys,
  utcDay,
} from './keys.ts';
import { admitNames, NAME_LIMITS } from './names.ts';
import { checkRecords, IssueList, MAX_FUTURE_MS, type PredictionRecord, timestampMs } from './records.ts';
import {
  applyCounterUpdates,
  batchPut,
  type CounterUpdate,
  counterSteps,
  isConditionFailure,
  runSteps,
  type WriteStep,
} from './writes.ts';

const telemetryTable = requireEnv('TELEMETRY_TABLE');
const governanceTable = requireEnv('GOVERNANCE_TABLE');
const ledger = new BatchLedger(telemetryTable);

/** Profile items live a little longer than the oldest window anyone evaluates. */
const PROFILE_TTL_SECONDS = 400 * 86400;

function windowOf(model: ModelRecord) {
  return bucketResolution(durationSeconds(model.schedule.window));
}

function expiresIn(seconds: number): number {
  return Math.floor(Date.now() / 1000) + seconds;
}

function rejectIfInvalid(issues: IssueList): void {
  if (issues.count > 0) {
    throw new HttpError(
      400,
      'invalid_request',
      `The request has ${issues.count} invalid value(s); nothing was written`,
      issues.issues,
    );
  }
}

/**
 * Runs the writes of a batch exactly once per batch id: a replay of a finished batch returns the
 * first answer; a retry after a failure skips the steps the failed attempt applied.
 */
async function once<R extends Record<string, unknown>>(
  model: ModelRecord,
  kind: string,
  batchId: string | undefined,
  steps: WriteStep[],
  response: R,
): Promise<R & { replayed?: true }> {
  if (!batchId) {
    await runSteps(steps);
    return response;
  }
  const claim = await ledger.claim(model.modelId, kind, batchId);
  if (claim.kind === 'replay') return { ...(claim.response as R), replayed: true };
  const completed = new Set(claim.kind === 'resume' ? claim.completed : []);
  try {
    await runSteps(steps, { skip: new Set(completed), done: (id) => completed.add(id) });
  } catch (error) {
    await ledger.release(model.modelId, kind, batchId, [...completed]).catch(() => undefined);
    throw error;
  }
  await ledger.complete(model.modelId, kind, batchId, response);
  return response;
}

/**
 * Aggregates a batch of predictions into the window profiles of their timestamps: per bucket,
 * the counters of every feature and the prediction become one delta item (deltas.ts) on one
 * write shard chosen at random, plus one ADD to the day's totals. The cost of a batch is a
 * write or two per bucket, whatever the number of records and features. Raw predictions are
 * kept (with a TTL) only for models expecting ground truth.
 */
export async function ingestPredictions(
  model: ModelRecord,
  batch: { batchId?: string; records: readonly PredictionRecord[] },
): Promise<{ accepted: number; replayed?: true }> {
  const now = Date.now();
  const issues = new IssueList();
  checkRecords(model, batch.records, now, issues);
  rejectIfInvalid(issues);
  if (model.baselineVersion === undefined) {
    throw new HttpError(
      409,
      'baseline_required',
      `Model ${model.modelId} has no baseline yet; PUT one first`,
      [{ path: 'baseline', message: 'fit a baseline before sending predictions' }],
    );
  }
  const baseline = model.baselineVersion;
  const profiles = await referenceProfiles(model.modelId, baseline);
  const resolution = windowOf(model);
  const shard = randomInt(model.writeShards ?? 1);

  const columns: { name: string; profile: ReferenceProfile; value: (r: PredictionRecord) => unknown }[] = [];
  for (const feature of model.features) {
    const profile = profiles.get(feature.name);
    if (profile)
      columns.push({ name: feature.name, profile, value: (r) => r.features[feature.name] ?? null });
  }
  const predictionProfile = profiles.get(PREDICTION_COLUMN);
  if (predictionProfile)
    columns.push({ name: PREDICTION_COLUMN, profile: predictionProfile, value: (r) => r.prediction });

  // Per bucket: the records in it and one counter per column.
  const buckets = new Map<number, { records: number; counters: ColumnCounter[] }>();
  for (const record of batch.records) {
    const bucket = bucketStart(Math.floor(timestampMs(record.timestamp, now) / 1000), resolution);
    let entry = buckets.get(bucket);
    if (!entry) {
      entry = { records: 0, counters: columns.map((column) => new ColumnCounter(column.profile)) };
      buckets.set(bucket, entry);
    }
    entry.records++;
    for (let c = 0; c < columns.length; c++) {
      (entry.counters[c] as ColumnCounter).add((columns[c] as (typeof columns)[number]).value(record));
    }
  }

  const id = deltaId(batch.batchId);
  const expiresAt = expiresIn(PROFILE_TTL_SECONDS);
  const steps: WriteStep[] = [];
  // Buckets never straddle a day (resolutions divide 24 h), so a bucket's day is its records' day.
  const days = new Map<string, number>();
  for (const [bucket, { records, counters }] of buckets) {
    const pk = telemetryKeys.bucket(model.modelId, resolution, bucket, shard);
    const delta = Object.fromEntries(
      columns.map((column, c) => [column.name, (counters[c] as ColumnCounter).counters()]),
    );
    for (const item of await deltaItems(pk, baseline, id, delta, expiresAt)) {
      steps.push({ id: `${bucket}/${item.sk}`, run: () => putDeltaItem(telemetryTable, item) });
    }
    const day = utcDay(bucket * 1000);
    days.set(day, (days.get(day) ?? 0) + records);
  }
  steps.push(
    ...counterSteps(
      telemetryTable,
      [...days].map(([day, predictions]) => ({
        id: `totals|${day}`,
        update: { key: telemetryKeys.totals(model.modelId, shard, day), counters: { predictions } },
      })),
    ),
  );
  if (model.groundTruth) {
    const ttl = expiresIn(model.groundTruth.lookbackDays * 86400);
    const items = batch.records
      .filter((r) => r.predictionId !== undefined)
      .map((r) => ({
        ...telemetryKeys.prediction(model.modelId, r.predictionId as string),
        prediction: r.prediction,
        ...(r.score !== undefined ? { score: r.score } : {}),
        timestamp: timestampMs(r.timestamp, now),
        baselineVersion: baseline,
        expiresAt: ttl,
      }));
    if (items.length > 0) steps.push({ id: 'raw', run: () => batchPut(telemetryTable, items) });
  }
  return once(model, 'predictions', batch.batchId, steps, { accepted: batch.records.length });
}

/**
 * Joins delayed ground truth to the stored predictions (within the model's lookback) and adds
 * each newly joined pair to the performance counters of the prediction's bucket: a confusion
 * matrix for classification, error sums for regression. A prediction takes its first actual
 * only, so a replayed actual is matched again but counted once.
 */
export async function ingestActuals(
  model: ModelRecord,
  batch: {
    batchId?: string;
    records: readonly { predictionId: string; actual: string | number | boolean }[];
  },
): Promise<{ matched: number; unmatched: number }> {
  if (!model.groundTruth) {
    throw new HttpError(
      409,
      'ground_truth_not_expected',
      `Model ${model.modelId} is not registered with groundTruth`,
      [
        {
          path: 'groundTruth',
          message: 'register the model with groundTruth: {lookbackDays} to send actuals',
        },
      ],
    );
  }
  if (model.task === 'regression') {
    const issues = new IssueList();
    batch.records.forEach((r, i) => {
      if (typeof r.actual !== 'number')
        issues.add(`records[${i}].actual`, 'a regression model needs a numeric actual');
    });
    rejectIfInvalid(issues);
  }
  const stored = await getPredictions(model.modelId, [...new Set(batch.records.map((r) => r.predictionId))]);
  const resolution = windowOf(model);
  const labels = await trackedLabels(model);
  const found = batch.records.filter((record) => stored.has(record.predictionId));
  const joined: { bucket: number; counters: Record<string, number> }[] = [];
  await forEachConcurrently(found, 16, async (record) => {
    const prediction = stored.get(record.predictionId) as Record<string, unknown>;
    try {
      await dynamoDb.send(
        new UpdateCommand({
          TableName: telemetryTable,
          Key: telemetryKeys.prediction(model.modelId, record.predictionId),
          UpdateExpression: 'SET actual = :actual',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(actual)',
          ExpressionAttributeValues: { ':actual': record.actual },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) return;
      throw error;
    }
    const bucket = bucketStart(Math.floor(Number(prediction.timestamp) / 1000), resolution);
    joined.push({
      bucket,
      counters: performanceCounters(model, prediction.prediction, record.actual, labels),
    });
  });
  const matched = found.length;
  const merged = new Map<number, Record<string, number>>();
  for (const { bucket, counters } of joined) {
    const into = merged.get(bucket) ?? {};
    for (const [k, v] of Object.entries(counters)) into[k] = (into[k] ?? 0) + v;
    merged.set(bucket, into);
  }
  const shard = randomInt(model.writeShards ?? 1);
  await applyCounterUpdates(
    telemetryTable,
    [...merged].map(([bucket, counters]) => ({
      id: String(bucket),
      update: {
        key: telemetryKeys.profile(model.modelId, resolution, bucket, shard, PERFORMANCE_COLUMN),
        counters,
        setOnce: { expiresAt: expiresIn(PROFILE_TTL_SECONDS) },
      },
    })),
  );
  return { matched, unmatched: batch.records.length - matched };
}

/**
 * Counters of one (prediction, actual) pair. Class labels are compared as strings and counted
 * per class (`a:` actual, `p:` predicted, `tp:` both, and `correct`), so an item holds three
 * counters per class rather than one per pair of classes; a label outside `labels` (the classes
 * the baseline tracks) counts as `__other__`, which bounds the item whatever labels arrive.
 */
export function performanceCounters(
  model: ModelRecord,
  prediction: unknown,
  actual: unknown,
  labels: ReadonlySet<string>,
): Record<string, number> {
  if (model.task === 'regression') {
    const error = Number(prediction) - Number(actual);
    return { n: 1, ae: Math.abs(error), se: error * error };
  }
  const a = String(actual);
  const p = String(prediction);
  const classOf = (label: string) => (labels.has(label) ? label : OTHER_CATEGORY);
  const counters: Record<string, number> = { n: 1, [`a:${classOf(a)}`]: 1, [`p:${classOf(p)}`]: 1 };
  if (a === p) {
    counters.correct = 1;
    counters[`tp:${classOf(a)}`] = 1;
  }
  return counters;
}

/** The class labels the model's baseline tracks by name (its prediction profile's categories). */
async function trackedLabels(model: ModelRecord): Promise<ReadonlySet<string>> {
  if (model.baselineVersion === undefined) return new Set();
  const profile = (await referenceProfiles(model.modelId, model.baselineVersion)).get(PREDICTION_COLUMN);
  return new Set(profile?.type === 'categorical' ? profile.categories : []);
}

async function getPredictions(
  modelId: string,
  ids: readonly string[],
): Promise<Map<string, Record<string, unknown>>> {
  const found = new Map<string, Record<string, unknown>>();
  for (let start = 0; start < ids.length; start += 100) {
    let keys: Record<string, unknown>[] | undefined = ids
      .slice(start, start + 100)
      .map((id) => telemetryKeys.prediction(modelId, id));
    for (let attempt = 0; keys && keys.length > 0; attempt++) {
      if (attempt >= 10) throw new Error('BatchGetItem left keys unprocessed after 10 attempts');
      if (attempt > 0)
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(2000, 25 * 2 ** attempt)));
      const result: BatchGetCommandOutput = await dynamoDb.send(
        new BatchGetCommand({ RequestItems: { [telemetryTable]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of result.Responses?.[telemetryTable] ?? []) {
        const id = String(item.pk).slice(`PRED#${modelId}#`.length);
        found.set(id, item);
      }
      keys = result.UnprocessedKeys?.[telemetryTable]?.Keys;
    }
  }
  return found;
}

/** Adds metric points to per-bucket sums (count, sum, sum of squares) per metric name. */
export async function ingestMetrics(
  model: ModelRecord,
  batch: {
    batchId?: string;
    records: readonly { name: string; value: number; timestamp?: string | number }[];
  },
): Promise<{ accepted: number; replayed?: true }> {
  const now = Date.now();
  const issues = new IssueList();
  batch.records.forEach((r, i) => {
    if (r.timestamp !== undefined && timestampMs(r.timestamp, now) > now + MAX_FUTURE_MS) {
      issues.add(`records[${i}].timestamp`, 'is more than 5 minutes in the future');
    }
  });
  rejectIfInvalid(issues);
  const refused = new Set(
    await admitNames(
      telemetryTable,
      model.modelId,
      'metrics',
      batch.records.map((r) => r.name),
    ),
  );
  batch.records.forEach((r, i) => {
    if (refused.has(r.name)) {
      issues.add(
        `records[${i}].name`,
        `model ${model.modelId} counts at most ${NAME_LIMITS.metrics} metric names; "${r.name}" would be one more`,
      );
    }
  });
  rejectIfInvalid(issues);
  const resolution = windowOf(model);
  const shard = randomInt(model.writeShards ?? 1);
  const perItem = new Map<string, CounterUpdate>();
  for (const r of batch.records) {
    const bucket = bucketStart(Math.floor(timestampMs(r.timestamp, now) / 1000), resolution);
    const key = telemetryKeys.profile(model.modelId, resolution, bucket, shard, metricColumn(r.name));
    const id = `${key.pk}|${key.sk}`;
    const entry = perItem.get(id) ?? {
      key,
      counters: {},
      setOnce: { expiresAt: expiresIn(PROFILE_TTL_SECONDS) },
    };
    entry.counters.n = (entry.counters.n ?? 0) + 1;
    entry.counters.sum = (entry.counters.sum ?? 0) + r.value;
    entry.counters.sq = (entry.counters.sq ?? 0) + r.value * r.value;
    perItem.set(id, entry);
  }
  const updates = [...perItem].map(([id, update]) => ({ id, update }));
  return once(model, 'metrics', batch.batchId, counterSteps(telemetryTable, updates), {
    accepted: batch.records.length,
  });
}

/**
 * Records user feedback (SOP metric 4): the message is kept with the governance records, and
 * the bucket's feedback counters (total and per category) feed the complaint rate.
 */
export async function ingestFeedback(
  model: ModelRecord,
  feedback: { category: string; message: string; predictionId?: string },
  source: { sourceIp?: string; userAgent?: string },
): Promise<{ accepted: 1; feedbackId: string }> {
  const refused = await admitNames(telemetryTable, model.modelId, 'feedback', [feedback.category]);
  if (refused.length > 0) {
    throw new HttpError(
      400,
      'invalid_request',
      `Model ${model.modelId} has ${NAME_LIMITS.feedback} feedback categories already; nothing was written`,
      [
        {
          path: 'category',
          message: `a model counts at most ${NAME_LIMITS.feedback} feedback categories; use one it has`,
        },
      ],
    );
  }
  const now = new Date();
  const feedbackId = randomUUID();
  await dynamoDb.send(
    new PutCommand({
      TableName: governanceTable,
      Item: {
        ...governanceKeys.feedback(model.modelId, now.toISOString(), feedbackId),
        feedbackId,
        modelId: model.modelId,
        ...feedback,
        receivedAt: now.toISOString(),
        ...source,
      },
    }),
  );
  const resolution = windowOf(model);
  const bucket = bucketStart(Math.floor(now.getTime() / 1000), resolution);
  await applyCounterUpdates(telemetryTable, [
    {
      id: 'feedback',
      update: {
        key: telemetryKeys.profile(
          model.modelId,
          resolution,
          bucket,
          randomInt(model.writeShards ?? 1),
          FEEDBACK_COLUMN,
        ),
        counters: { n: 1, [`c:${feedback.category}`]: 1 },
        setOnce: { expiresAt: expiresIn(PROFILE_TTL_SECONDS) },
      },
    },
    {
      id: 'totals',
      update: {
        key: telemetryKeys.totals(model.modelId, randomInt(model.writeShards ?? 1), utcDay(now.getTime())),
        counters: { feedback: 1, [`feedback:${feedback.category}`]: 1 },
      },
    },
  ]);
  return { accepted: 1, feedbackId };
}
