import { createHash, randomBytes, randomInt } from 'node:crypto';
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
import { ColumnCounter, OTHER_CATEGORY, type ReferenceProfile, type WindowCounters } from '#drift/profile';
import { CbpeBuckets } from '../cbpe/counters.ts';
import { checkScores } from '../cbpe/records.ts';
import { baselineCalibration } from '../cbpe/store.ts';
import { QualityCounter, qualityColumn } from '../quality/counter.ts';
import { countsAtIngest } from '../quality/rules.ts';
import { referenceProfiles } from '../registry/baselines.ts';
import { durationSeconds } from '../registry/fields.ts';
import type { IngestModel } from '../registry/ingest-model.ts';
import { governanceKeys } from '../registry/keys.ts';
import { segmentPerformanceColumns } from '../segments/columns.ts';
import { SegmentCounters } from '../segments/ingest.ts';
import { BatchLedger, fingerprint } from './batches.ts';
import {
  type ColumnCounters,
  CountersJson,
  deltaId,
  deltaItems,
  deltaWriteStep,
  UNBINNED,
} from './deltas.ts';
import { addLimbs, exactSquare, exactValue } from './exact.ts';
import {
  bucketResolution,
  bucketStart,
  FEEDBACK_COLUMN,
  metricColumn,
  PERFORMANCE_COLUMN,
  PREDICTION_COLUMN,
  TOTALS_COLUMN,
  telemetryKeys,
  utcDay,
} from './keys.ts';
import { admitNames, NAME_LIMITS } from './names.ts';
import {
  checkDistinctPredictionIds,
  checkRecords,
  checkTimestamp,
  IssueList,
  type PredictionRecord,
  timestampMs,
} from './records.ts';
import { profileTtlSeconds } from './retention.ts';
import { unapprovedVersionStep } from './unapproved.ts';
import { VERSION_COLUMN, versionKey } from './versions.ts';
import { batchPut, isConditionFailure, runSteps, type WriteStep } from './writes.ts';

const telemetryTable = requireEnv('TELEMETRY_TABLE');
const governanceTable = requireEnv('GOVERNANCE_TABLE');
const ledger = new BatchLedger(telemetryTable);

/**
 * Profile items live a little longer than the oldest window anyone evaluates; a model with a
 * seasonal reference keeps them as long as its lag needs (retention.ts).
 */
const PROFILE_TTL_SECONDS = 400 * 86400;

function windowOf(model: IngestModel) {
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

/** One attempt at a batch: the ledger's view of it, or a fresh one for a batch without an id. */
interface Attempt {
  /**
   * Shared by every attempt of the batch, new for each batch (a batch id used again once the
   * ledger forgot it is a new batch): its delta keys derive from it, and it marks the items the
   * batch makes its own (joined actuals).
   */
  readonly token: string;
  /** When the batch was first received: the time of its records that have none. */
  readonly receivedAt: number;
  /** The write shard of the batch: the same for every attempt, so a retry rewrites the same keys. */
  readonly shard: number;
  /** What the first attempt recorded with `recordPlan`, if any. */
  readonly plan?: readonly string[];
  /** True when an earlier attempt of the batch failed: what it wrote may be there already. */
  readonly resumed: boolean;
  recordPlan(plan: readonly string[]): Promise<void>;
}

/** The write shard of a batch: derived from its id when it has one, else any. */
function shardOf(model: IngestModel, key: string | undefined): number {
  const shards = model.writeShards ?? 1;
  if (key === undefined || shards === 1) return randomInt(shards);
  return createHash('sha256').update(key).digest().readUInt32BE(0) % shards;
}

/**
 * Runs the writes of a batch exactly once per batch id (`key`): a replay of a finished batch
 * returns the first answer; the same id with other content is refused (422); a retry after a
 * failure sees the same attempt (time, shard, plan) and skips the writes the failed one applied.
 * `prepare` reads what it needs and returns the writes and the answer; it runs after the claim,
 * so that a replay reads nothing.
 */
async function once<R extends Record<string, unknown>>(
  model: IngestModel,
  kind: string,
  key: string | undefined,
  request: unknown,
  prepare: (attempt: Attempt) => Promise<{ steps: WriteStep[]; response: R }>,
  options: { rerunFinished?: boolean } = {},
): Promise<R & { replayed?: true }> {
  if (key === undefined) {
    const { steps, response } = await prepare({
      token: randomBytes(12).toString('base64url'),
      receivedAt: Date.now(),
      shard: shardOf(model, undefined),
      resumed: false,
      recordPlan: async () => undefined,
    });
    await runSteps(steps);
    return response;
  }
  const claim = await ledger.claim(model.modelId, kind, key, fingerprint(request), options);
  if (claim.kind === 'replay') return { ...(claim.response as R), replayed: true };
  const completed = new Set(claim.kind === 'resume' ? claim.completed : []);
  try {
    const { steps, response } = await prepare({
      token: claim.token,
      receivedAt: claim.receivedAt,
      shard: shardOf(model, key),
      resumed: claim.kind === 'resume',
      ...(claim.kind === 'resume' && claim.plan ? { plan: claim.plan } : {}),
      recordPlan: (plan) => ledger.recordPlan(model.modelId, kind, key, plan),
    });
    await runSteps(steps, { skip: new Set(completed), done: (id) => completed.add(id) });
    await ledger.complete(model.modelId, kind, key, response);
    return response;
  } catch (error) {
    await ledger.release(model.modelId, kind, key, [...completed]).catch(() => undefined);
    throw error;
  }
}

/** The write steps of deltas of unbinned counters (performance, metrics, feedback), per bucket. */
async function unbinnedDeltaSteps(
  model: IngestModel,
  id: string,
  shard: number,
  perBucket: ReadonlyMap<number, ColumnCounters>,
  resumed: boolean,
): Promise<WriteStep[]> {
  const resolution = windowOf(model);
  const expiresAt = expiresIn(profileTtlSeconds(model, PROFILE_TTL_SECONDS));
  const steps: WriteStep[] = [];
  for (const [bucket, columns] of perBucket) {
    const pk = telemetryKeys.bucket(model.modelId, resolution, bucket, shard);
    for (const item of await deltaItems(pk, UNBINNED, id, columns, expiresAt)) {
      steps.push(deltaWriteStep(`${bucket}/${item.sk}`, telemetryTable, item, resumed));
    }
  }
  return steps;
}

/**
 * The write steps of a batch's share of a day's totals: a delta (one small item) in the day's
 * bucket (deltas.ts),
 * keyed by the batch like its window deltas, so a retry finds it instead of counting it again.
 * Kept as long as the table, as the report's denominators.
 */
async function totalsSteps(
  model: IngestModel,
  id: string,
  shard: number,
  day: string,
  counters: WindowCounters,
  stepId: string,
  resumed: boolean,
): Promise<WriteStep[]> {
  const pk = telemetryKeys.dayBucket(model.modelId, day, shard);
  const items = await deltaItems(pk, UNBINNED, id, { [TOTALS_COLUMN]: counters }, undefined);
  return items.map((item, part) =>
    deltaWriteStep(part === 0 ? stepId : `${stepId}/${item.sk}`, telemetryTable, item, resumed),
  );
}

/** The segment keys a stored prediction keeps, for its actual's per-segment performance. */
const withSegments = (keys: Record<string, string> | undefined) => (keys ? { segments: keys } : {});

/** A number as a raw prediction keeps it: a string, exact for any double (DynamoDB numbers are not). */
const storedValue = (value: string | number | boolean) => (typeof value === 'number' ? String(value) : value);

/**
 * Aggregates a batch of predictions into the window profiles of their timestamps: per bucket,
 * the counters of every feature and the prediction become one delta item (deltas.ts) on one
 * write shard, plus one delta to the day's totals. The cost of a batch is a write or two per
 * bucket, whatever the number of records and features. Raw predictions are kept (with a TTL)
 * only for models expecting ground truth.
 */
export async function ingestPredictions(
  model: IngestModel,
  batch: { batchId?: string; modelVersion?: string; records: readonly PredictionRecord[] },
): Promise<{ accepted: number; incidentId?: string; replayed?: true }> {
  const issues = new IssueList();
  checkRecords(model, batch.records, Date.now(), issues);
  checkScores(model, batch.records, issues);
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
  const calibration = await baselineCalibration(model.modelId, baseline);
  const resolution = windowOf(model);

  const columns: { name: string; profile: ReferenceProfile; value: (r: PredictionRecord) => unknown }[] = [];
  for (const feature of model.features) {
    const profile = profiles.get(feature.name);
    if (profile)
      columns.push({ name: feature.name, profile, value: (r) => r.features[feature.name] ?? null });
  }
  const predictionProfile = profiles.get(PREDICTION_COLUMN);
  if (predictionProfile)
    columns.push({ name: PREDICTION_COLUMN, profile: predictionProfile, value: (r) => r.prediction });
  // Features whose data-quality rule needs counts at ingest: `@quality#<feature>` columns.
  const checked = model.features.filter((f) => countsAtIngest(f.quality));

  return once(model, 'predictions', batch.batchId, batch, async ({ token, receivedAt, shard, resumed }) => {
    // Per bucket: the records in it and one counter per column.
    const cbpe = new CbpeBuckets(calibration);
    const buckets = new Map<
      number,
      { records: number; counters: ColumnCounter[]; segments: SegmentCounters; quality: QualityCounter[] }
    >();
    for (const record of batch.records) {
      const bucket = bucketStart(Math.floor(timestampMs(record.timestamp, receivedAt) / 1000), resolution);
      let entry = buckets.get(bucket);
      if (!entry) {
        entry = {
          records: 0,
          counters: columns.map((column) => new ColumnCounter(column.profile)),
          segments: new SegmentCounters(profiles),
          quality: checked.map((f) => new QualityCounter(f.quality ?? {}, f.type)),
        };
        buckets.set(bucket, entry);
      }
      entry.records++;
      cbpe.add(bucket, record);
      for (let c = 0; c < columns.length; c++) {
        (entry.counters[c] as ColumnCounter).add((columns[c] as (typeof columns)[number]).value(record));
      }
      entry.segments.add(record);
      for (let q = 0; q < checked.length; q++) {
        (entry.quality[q] as QualityCounter).add(
          record.features[(checked[q] as (typeof checked)[number]).name] ?? null,
        );
      }
    }

    const id = deltaId(token);
    const expiresAt = expiresIn(profileTtlSeconds(model, PROFILE_TTL_SECONDS));
    const steps: WriteStep[] = [];
    // Buckets never straddle a day (resolutions divide 24 h), so a bucket's day is its records' day.
    const days = new Map<string, number>();
    for (const [bucket, { records, counters, segments, quality }] of buckets) {
      const pk = telemetryKeys.bucket(model.modelId, resolution, bucket, shard);
      const delta: Record<string, WindowCounters | CountersJson> = {
        ...Object.fromEntries(
          columns.map((column, c) => [
            column.name,
            new CountersJson((counters[c] as ColumnCounter).countersJson()),
          ]),
        ),
        ...cbpe.columns(bucket),
        ...segments.columns(),
      };
      checked.forEach((f, q) => {
        delta[qualityColumn(f.name)] = (quality[q] as QualityCounter).counters();
      });
      delta[VERSION_COLUMN] = { [versionKey(batch.modelVersion)]: records };
      for (const item of await deltaItems(pk, baseline, id, delta, expiresAt)) {
        steps.push(deltaWriteStep(`${bucket}/${item.sk}`, telemetryTable, item, resumed));
      }
      const day = utcDay(bucket * 1000);
      days.set(day, (days.get(day) ?? 0) + records);
    }
    for (const [day, predictions] of days) {
      // The id earlier versions gave the day's `ADD`: a batch they left half done resumes
      // without counting its day again.
      steps.push(...(await totalsSteps(model, id, shard, day, { predictions }, `totals|${day}/0`, resumed)));
    }
    if (model.groundTruth) {
      const ttl = expiresIn(model.groundTruth.lookbackDays * 86400);
      const identified = batch.records.filter((r) => r.predictionId !== undefined);
      if (identified.length > 0) {
        steps.push({
          id: 'raw',
          run: async () => {
            // A prediction id already stored keeps its prediction: rewriting it would drop its
            // joined actual, and the same actual sent again would then count twice.
            const stored = await getPredictions(
              model.modelId,
              identified.map((r) => r.predictionId as string),
            );
            const segmentKeys = new SegmentCounters(profiles);
            const items = identified
              .filter((r) => !stored.has(r.predictionId as string))
              .map((r) => ({
                ...withSegments(segmentKeys.keysOf(r)),
                ...telemetryKeys.prediction(model.modelId, r.predictionId as string),
                prediction: storedValue(r.prediction),
                ...(r.score !== undefined ? { score: String(r.score) } : {}),
                timestamp: timestampMs(r.timestamp, receivedAt),
                baselineVersion: baseline,
                expiresAt: ttl,
              }));
            await batchPut(telemetryTable, items);
          },
        });
      }
    }
    const response: { accepted: number; incidentId?: string } = { accepted: batch.records.length };
    const unapproved = unapprovedVersionStep(model, batch, token, response);
    if (unapproved) steps.push(unapproved);
    return { steps, response };
  });
}

/**
 * Joins delayed ground truth to the stored predictions (within the model's lookback) and adds
 * each newly joined pair to the performance counters of the prediction's bucket, as a delta: a
 * confusion matrix for classification, exact error sums for regression. A prediction takes its
 * first actual only, so a replayed actual is matched again but counted once.
 *
 * Exactly once, and never lost: a batch is claimed in the ledger under its `batchId` or, without
 * one, under its content (sending the same content again later is a new request). Its joins come
 * first, each marked with the batch's token, then its deltas, whose keys derive from the batch;
 * so an attempt that failed after some joins is resumed by a retry that finds them its own and
 * counts them then. The first attempt records which records it found no prediction for, and
 * every retry leaves those out, so all attempts write the same deltas.
 */
export async function ingestActuals(
  model: IngestModel,
  batch: {
    batchId?: string;
    records: readonly { predictionId: string; actual: string | number | boolean }[];
  },
): Promise<{ matched: number; unmatched: number; replayed?: true }> {
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
  const issues = new IssueList();
  if (model.task === 'regression') {
    batch.records.forEach((r, i) => {
      if (typeof r.actual !== 'number')
        issues.add(`records[${i}].actual`, 'a regression model needs a numeric actual');
    });
  }
  checkDistinctPredictionIds(batch.records, issues);
  rejectIfInvalid(issues);
  const resolution = windowOf(model);
  const byContent = batch.batchId === undefined;
  const key = batch.batchId ?? fingerprint(batch);
  return once(
    model,
    byContent ? 'actuals-content' : 'actuals',
    key,
    batch,
    async (attempt) => {
      const labels = await trackedLabels(model);
      const stored = await getPredictions(
        model.modelId,
        batch.records.map((r) => r.predictionId),
      );
      let unmatched: ReadonlySet<string>;
      if (attempt.plan) unmatched = new Set(attempt.plan);
      else {
        unmatched = new Set(batch.records.map((r) => r.predictionId).filter((id) => !stored.has(id)));
        await attempt.recordPlan([...unmatched]);
      }
      const found = batch.records.filter((r) => !unmatched.has(r.predictionId) && stored.has(r.predictionId));
      // Joins first: a prediction already joined by this batch's token is this batch's.
      const ours: typeof found = [];
      await forEachConcurrently(found, 16, async (record) => {
        const prediction = stored.get(record.predictionId) as Record<string, unknown>;
        if (prediction.joinedBy === attempt.token) {
          ours.push(record);
          return;
        }
        if (prediction.actual !== undefined) return;
        try {
          await dynamoDb.send(
            new UpdateCommand({
              TableName: telemetryTable,
              Key: telemetryKeys.prediction(model.modelId, record.predictionId),
              UpdateExpression: 'SET actual = :actual, joinedBy = :token',
              // The second clause makes a retried call whose first try was applied succeed.
              ConditionExpression:
                'attribute_exists(pk) AND (attribute_not_exists(actual) OR joinedBy = :token)',
              ExpressionAttributeValues: { ':actual': storedValue(record.actual), ':token': attempt.token },
            }),
          );
          ours.push(record);
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
        }
      });
      const perBucket = new Map<number, Map<string, PerformanceSums>>();
      for (const record of ours) {
        const prediction = stored.get(record.predictionId) as Record<string, unknown>;
        const bucket = bucketStart(Math.floor(Number(prediction.timestamp) / 1000), resolution);
        let sums = perBucket.get(bucket);
        if (!sums) {
          sums = new Map();
          perBucket.set(bucket, sums);
        }
        // The model's performance, and that of the prediction's segments (segments/performance.ts).
        for (const column of [PERFORMANCE_COLUMN, ...segmentPerformanceColumns(prediction.segments)]) {
          let columnSums = sums.get(column);
          if (!columnSums) {
            columnSums = new PerformanceSums(model.task, labels);
            sums.set(column, columnSums);
          }
          columnSums.add(prediction.prediction, record.actual);
        }
      }
      const steps = await unbinnedDeltaSteps(
        model,
        deltaId(attempt.token, 'actuals'),
        attempt.shard,
        new Map(
          [...perBucket].map(([bucket, sums]) => [
            bucket,
            Object.fromEntries([...sums].map(([column, columnSums]) => [column, columnSums.counters()])),
          ]),
        ),
        attempt.resumed,
      );
      return {
        steps,
        response: { matched: found.length, unmatched: batch.records.length - found.length },
      };
    },
    { rerunFinished: byContent },
  ).then((result) => (byContent ? withoutReplayed(result) : result));
}

function withoutReplayed<R extends { replayed?: true }>(result: R): Omit<R, 'replayed'> {
  const { replayed: _replayed, ...rest } = result;
  return rest;
}

/**
 * The performance counters of joined (prediction, actual) pairs. Classification: labels compared
 * as strings and counted per class (`a:` actual, `p:` predicted, `tp:` both, and `correct`), so
 * an item holds three counters per class rather than one per pair of classes; a label outside
 * `labels` (the classes the baseline tracks) counts as `__other__`, which bounds the item
 * whatever labels arrive. Regression: the count and the exact sums of the absolute and the
 * squared errors (exact.ts).
 */
class PerformanceSums {
  private readonly cells: WindowCounters = Object.create(null);
  private n = 0;
  private absolute = 0n;
  private squared = 0n;

  constructor(
    private readonly task: IngestModel['task'],
    private readonly labels: ReadonlySet<string>,
  ) {}

  add(prediction: unknown, actual: unknown): void {
    this.n++;
    if (this.task === 'regression') {
      const error = exactValue(Number(prediction)) - exactValue(Number(actual));
      this.absolute += error < 0n ? -error : error;
      this.squared += exactSquare(error);
    } else {
      const classOf = (label: string) => (this.labels.has(label) ? label : OTHER_CATEGORY);
      const a = classOf(String(actual));
      const p = classOf(String(prediction));
      const count = (key: string) => {
        this.cells[key] = (this.cells[key] ?? 0) + 1;
      };
      count(`a:${a}`);
      count(`p:${p}`);
      if (String(actual) === String(prediction)) {
        count('correct');
        count(`tp:${a}`);
      }
    }
  }

  counters(): WindowCounters {
    const out: WindowCounters = { n: this.n, ...this.cells };
    if (this.task === 'regression') {
      addLimbs(out, 'ae', this.absolute);
      addLimbs(out, 'se', this.squared);
    }
    return out;
  }
}

/** The class labels the model's baseline tracks by name (its prediction profile's categories, and the positive class). */
async function trackedLabels(model: IngestModel): Promise<ReadonlySet<string>> {
  if (model.baselineVersion === undefined) return new Set();
  const profile = (await referenceProfiles(model.modelId, model.baselineVersion)).get(PREDICTION_COLUMN);
  const labels = new Set(profile?.type === 'categorical' ? profile.categories : []);
  // The positive class counts by name even if the baseline never predicted it (estimated performance).
  if (model.positiveClass !== undefined) labels.add(String(model.positiveClass));
  return labels;
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

/**
 * Adds metric points to per-bucket counters per metric name: the count, and the exact sums of
 * the values and of their squares (exact.ts), as one delta per bucket.
 */
export async function ingestMetrics(
  model: IngestModel,
  batch: {
    batchId?: string;
    records: readonly { name: string; value: number; timestamp?: string | number }[];
  },
): Promise<{ accepted: number; replayed?: true }> {
  const issues = new IssueList();
  const now = Date.now();
  batch.records.forEach((r, i) => {
    checkTimestamp(`records[${i}].timestamp`, r.timestamp, now, issues);
  });
  rejectIfInvalid(issues);
  // A batch id reused for other content is refused before new names are admitted.
  if (batch.batchId) await ledger.refuseReused(model.modelId, 'metrics', batch.batchId, fingerprint(batch));
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
  return once(model, 'metrics', batch.batchId, batch, async ({ token, receivedAt, shard, resumed }) => {
    const sums = new Map<number, Map<string, { n: number; sum: bigint; sq: bigint }>>();
    for (const r of batch.records) {
      const bucket = bucketStart(Math.floor(timestampMs(r.timestamp, receivedAt) / 1000), resolution);
      let names = sums.get(bucket);
      if (!names) {
        names = new Map();
        sums.set(bucket, names);
      }
      const entry = names.get(r.name) ?? { n: 0, sum: 0n, sq: 0n };
      const value = exactValue(r.value);
      entry.n++;
      entry.sum += value;
      entry.sq += exactSquare(value);
      names.set(r.name, entry);
    }
    const perBucket = new Map<number, ColumnCounters>();
    for (const [bucket, names] of sums) {
      const columns: ColumnCounters = {};
      for (const [name, { n, sum, sq }] of names) {
        const counters: WindowCounters = { n };
        addLimbs(counters, 'sum', sum);
        addLimbs(counters, 'sq', sq);
        columns[metricColumn(name)] = counters;
      }
      perBucket.set(bucket, columns);
    }
    const steps = await unbinnedDeltaSteps(model, deltaId(token, 'metrics'), shard, perBucket, resumed);
    return { steps, response: { accepted: batch.records.length } };
  });
}

/** A feedback id derived from its batch's token: a UUID every attempt of the batch derives alike. */
function feedbackIdOf(token: string): string {
  const hex = createHash('sha256').update(`feedback:${token}`).digest('hex');
  const variant = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Records user feedback (SOP metric 4): the message is kept with the governance records, and
 * the bucket's feedback counters (total and per category), a delta, feed the complaint rate.
 * With a `batchId`, it is counted once however many times it arrives: its id and time come from
 * the batch's ledger, so a retry rewrites the same item and delta.
 */
export async function ingestFeedback(
  model: IngestModel,
  feedback: { batchId?: string; category: string; message: string; predictionId?: string },
  source: { sourceIp?: string; userAgent?: string },
): Promise<{ accepted: 1; feedbackId: string; replayed?: true }> {
  // A batch id reused for other content is refused before a new category is admitted.
  if (feedback.batchId) {
    await ledger.refuseReused(model.modelId, 'feedback', feedback.batchId, fingerprint(feedback));
  }
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
  const { batchId, ...content } = feedback;
  return once(model, 'feedback', batchId, feedback, async ({ token, receivedAt, shard, resumed }) => {
    const now = new Date(receivedAt);
    const feedbackId = feedbackIdOf(token);
    const steps: WriteStep[] = [
      {
        id: 'feedback',
        run: async () => {
          await dynamoDb.send(
            new PutCommand({
              TableName: governanceTable,
              Item: {
                ...governanceKeys.feedback(model.modelId, now.toISOString(), feedbackId),
                feedbackId,
                modelId: model.modelId,
                ...content,
                receivedAt: now.toISOString(),
                ...source,
              },
            }),
          );
        },
      },
    ];
    const bucket = bucketStart(Math.floor(now.getTime() / 1000), windowOf(model));
    steps.push(
      ...(await unbinnedDeltaSteps(
        model,
        deltaId(token, 'feedback'),
        shard,
        new Map([[bucket, { [FEEDBACK_COLUMN]: { n: 1, [`c:${feedback.category}`]: 1 } }]]),
        resumed,
      )),
      ...(await totalsSteps(
        model,
        deltaId(token, 'feedback'),
        shard,
        utcDay(now.getTime()),
        { feedback: 1, [`feedback:${feedback.category}`]: 1 },
        'totals',
        resumed,
      )),
    );
    return { steps, response: { accepted: 1 as const, feedbackId } };
  });
}
