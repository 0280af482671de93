import { forEachConcurrently } from '#commons/concurrency';
import { requireEnv } from '#commons/config';
import { boundCounters, mergeCounters, type WindowCounters } from '#drift/profile';
import { logger } from '#powertools/logger';
import { referenceProfiles } from '../registry/baseline-reads.ts';
import { durationSeconds } from '../registry/duration.ts';
import type { ModelRecord } from '../registry/store.ts';
import {
  type BucketDeltas,
  bucketColumns,
  compactBucket,
  DELTA_PREFIX,
  LEASE_SK,
  readBucket,
  sortDeltas,
  UNBINNED,
  worthCompacting,
} from '../telemetry/deltas.ts';
import {
  bucketResolution,
  FEEDBACK_COLUMN,
  PERFORMANCE_COLUMN,
  telemetryKeys,
  utcDay,
} from '../telemetry/keys.ts';
import { boundVersionCounters, VERSION_COLUMN } from '../telemetry/versions.ts';
import { WindowSum } from '../telemetry/window-sum.ts';

const table = requireEnv('TELEMETRY_TABLE');
const NOT_COUNTERS = new Set(['pk', 'sk', 'expiresAt']);
/**
 * A bucket is compacted once it has been closed this long, when the requests in flight at its
 * end have landed (a later delta is merged by a later compaction; this only saves work).
 */
const COMPACT_AFTER_SECONDS = 10;

/** Everything aggregated for a model over a window, merged across buckets and write shards. */
export interface WindowData {
  readonly windowStart: Date;
  readonly windowEnd: Date;
  /**
   * Per column (features and `@prediction`, and segments' columns), the counters binned by
   * `baselineVersion`; and the segments' performance counters (`@segment#...#@performance`).
   */
  readonly columns: ReadonlyMap<string, WindowCounters>;
  readonly performance: WindowCounters;
  /** Per metric name: `n`, `sum`, `sq`. */
  readonly metrics: ReadonlyMap<string, WindowCounters>;
  readonly feedback: WindowCounters;
}

/**
 * The model's window ending at `end`, on its bucket boundaries: the last complete window
 * (`complete`, for the schedule), or the window that includes the bucket in progress (`current`,
 * for an evaluation asked for now).
 */
export function alignedWindow(
  model: ModelRecord,
  end: Date,
  mode: 'complete' | 'current',
): { start: Date; end: Date; resolution: number } {
  const windowSeconds = durationSeconds(model.schedule.window);
  const resolution = bucketResolution(windowSeconds);
  const round = mode === 'complete' ? Math.floor : Math.ceil;
  const endSeconds = round(end.getTime() / 1000 / resolution) * resolution;
  const startSeconds = endSeconds - Math.ceil(windowSeconds / resolution) * resolution;
  return { start: new Date(startSeconds * 1000), end: new Date(endSeconds * 1000), resolution };
}

/**
 * Reads the window profiles of every bucket in [start, end) from every write shard and merges
 * them by addition: one Query per bucket and shard, a few at a time. With `compact` (the
 * evaluations, which may write), a closed bucket holding several batch deltas is compacted
 * after it is read (deltas.ts), so the next reader of the bucket reads a few merged deltas, not
 * one per batch.
 */
export async function readWindow(
  model: ModelRecord,
  baselineVersion: number,
  start: Date,
  end: Date,
  resolution: number,
  options: { compact?: boolean } = {},
): Promise<WindowData> {
  const partitions: { pk: string; closesAt: number }[] = [];
  for (let t = start.getTime() / 1000; t < end.getTime() / 1000; t += resolution) {
    for (let shard = 0; shard < (model.writeShards ?? 1); shard++) {
      partitions.push({
        pk: telemetryKeys.bucket(model.modelId, resolution, t, shard),
        closesAt: t + resolution,
      });
    }
  }
  const sum = new WindowSum();
  /** Segments' performance counters (of unbinned deltas): columns no baseline's deltas have. */
  const segmentPerformance = new Map<string, WindowCounters>();
  const metrics = new Map<string, WindowCounters>();
  let performance: WindowCounters = {};
  let feedback: WindowCounters = {};

  /** Performance, metric and feedback counters: of a delta's column, or of a counter item (`sk`). */
  const take = (column: string, counters: WindowCounters) => {
    if (column === PERFORMANCE_COLUMN) performance = mergeCounters(performance, counters);
    else if (column === FEEDBACK_COLUMN) feedback = mergeCounters(feedback, counters);
    // Segments' performance (segment columns of a baseline's deltas are in `columns` already).
    else if (column.startsWith('@segment#'))
      segmentPerformance.set(column, mergeCounters(segmentPerformance.get(column) ?? {}, counters));
    else if (column.startsWith('@metric#')) {
      const name = column.slice('@metric#'.length);
      metrics.set(name, mergeCounters(metrics.get(name) ?? {}, counters));
    }
  };
  /** Counter items, as earlier versions kept these counters (ADD updates of one item per column). */
  const takeItem = (item: Record<string, unknown>) => {
    const counters: WindowCounters = {};
    for (const [name, value] of Object.entries(item)) {
      if (!NOT_COUNTERS.has(name) && typeof value === 'number') counters[name] = value;
    }
    take(String(item.sk), counters);
  };

  const now = Date.now() / 1000;
  await forEachConcurrently(partitions, 8, async ({ pk, closesAt }) => {
    const items = await readBucket(table, pk);
    for (const item of items) if (!isDeltaItem(item)) takeItem(item);
    const deltas = sortDeltas(items);
    sum.addBucket(pk, deltas, baselineVersion);
    for (const [column, counters] of bucketColumns(deltas, UNBINNED)) take(column, counters);
    if (options.compact && closesAt + COMPACT_AFTER_SECONDS <= now) await compactIfWorth(model, pk, deltas);
  });
  const columns = sum.columns();
  for (const [column, counters] of segmentPerformance)
    columns.set(column, mergeCounters(columns.get(column) ?? {}, counters));
  return { windowStart: start, windowEnd: end, columns, performance, metrics, feedback };
}

const isDeltaItem = (item: Record<string, unknown>) =>
  String(item.sk).startsWith(DELTA_PREFIX) || String(item.sk) === LEASE_SK;

async function compactIfWorth(
  model: ModelRecord,
  pk: string,
  deltas: BucketDeltas,
  minimum?: number,
): Promise<void> {
  if (!worthCompacting(deltas, minimum)) return;
  // Day buckets hold the daily totals only (bounded by the model's feedback categories).
  const bound = pk.startsWith('TOTALS#')
    ? undefined
    : { profiles: (baseline: number) => referenceProfiles(model.modelId, baseline), counters: boundCounters };
  const columnBounds = { [VERSION_COLUMN]: boundVersionCounters };
  await compactBucket(table, pk, deltas, bound ? { bound, columnBounds } : {}).catch((error: unknown) => {
    // What was read is complete either way; a later reader compacts.
    logger.warn('bucket compaction failed', { pk, error });
  });
}

/** Buckets behind the last closed one that each compaction pass looks at again. */
const RECENT_BUCKETS = 3;
/** Batch deltas that make a bucket still open worth compacting (its readers read them all). */
const OPEN_BUCKET_DELTAS = 100;

/** The partitions of a model's recent buckets: closed ones, and the open one (`minimum` set). */
function recentPartitions(
  model: ModelRecord,
  nowSeconds: number,
  resolution: number,
  recent: number,
  keyOf: (bucketStart: number, shard: number) => string,
): { pk: string; minimum?: number }[] {
  const lastEnd = Math.floor((nowSeconds - COMPACT_AFTER_SECONDS) / resolution) * resolution;
  const partitions: { pk: string; minimum?: number }[] = [];
  for (let t = lastEnd - recent * resolution; t < nowSeconds; t += resolution) {
    for (let shard = 0; shard < (model.writeShards ?? 1); shard++) {
      partitions.push({ pk: keyOf(t, shard), ...(t >= lastEnd ? { minimum: OPEN_BUCKET_DELTAS } : {}) });
    }
  }
  return partitions;
}

/**
 * Compacts the model's buckets that closed most recently (the last three, on every write
 * shard), and the bucket still open once it holds 100 batch deltas; and likewise its day
 * buckets of daily totals (the day that closed last, and today's). The scheduled evaluation
 * runs it for every model on every tick, due or not, so a busy model's window is compacted as it
 * fills, not all at once by the evaluation that reads it, and a long bucket (an hour or a day)
 * never piles up a delta per batch. A late delta in an older bucket waits for the evaluation
 * that reads it; a late one in an older day stays a delta (reports read it as it is).
 */
export async function compactRecentBuckets(model: ModelRecord, now: Date): Promise<void> {
  const resolution = bucketResolution(durationSeconds(model.schedule.window));
  const nowSeconds = now.getTime() / 1000;
  const partitions = [
    ...recentPartitions(model, nowSeconds, resolution, RECENT_BUCKETS, (t, shard) =>
      telemetryKeys.bucket(model.modelId, resolution, t, shard),
    ),
    ...recentPartitions(model, nowSeconds, 86400, 1, (t, shard) =>
      telemetryKeys.dayBucket(model.modelId, utcDay(t * 1000), shard),
    ),
  ];
  await forEachConcurrently(partitions, 4, async ({ pk, minimum }) => {
    await compactIfWorth(model, pk, sortDeltas(await readBucket(table, pk)), minimum);
  });
}
