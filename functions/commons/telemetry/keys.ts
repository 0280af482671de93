/**
 * Key layout of the telemetry table. Window profiles are aggregated per time bucket: the
 * bucket's resolution follows the model's evaluation window, and each bucket is spread over
 * the model's write shards, merged when read. A bucket partition holds the batch deltas
 * (deltas.ts): of the feature and prediction columns, binned by a baseline, and of the
 * performance, metric and feedback columns (baseline slot 0); and the counter items per
 * performance, metric and feedback column that earlier versions wrote (`sk` = the column).
 */
export const PREDICTION_COLUMN = '@prediction';
export const PERFORMANCE_COLUMN = '@performance';
export const FEEDBACK_COLUMN = '@feedback';
/** The column of a day bucket's deltas: `predictions`, `feedback` and `feedback:{category}`. */
export const TOTALS_COLUMN = '@totals';
export const metricColumn = (name: string) => `@metric#${name}`;

export const telemetryKeys = {
  /** Every profile item of one bucket and shard shares a partition: one Query reads them all. */
  bucket: (modelId: string, resolution: number, bucketStart: number, shard: number) =>
    `PROFILE#${modelId}#${resolution}#${bucketStart}#${shard}`,
  /**
   * The day bucket of a model's daily totals (predictions, feedback) on one write shard, for
   * period reports: deltas (baseline slot 0, column `@totals`) compacted like a window bucket's.
   */
  dayBucket: (modelId: string, day: string, shard: number) => `TOTALS#${modelId}#${day}#${shard}`,
  /**
   * Daily totals as earlier versions kept them: one `ADD` item per day and shard (`sk` =
   * `DAY#{yyyy-mm-dd}`). Still read, never written.
   */
  legacyTotalsPartition: (modelId: string, shard: number) => `TOTALS#${modelId}#${shard}`,
  batch: (modelId: string, kind: string, batchId: string) => ({
    pk: `BATCH#${modelId}#${kind}#${batchId}`,
    sk: '#',
  }),
  prediction: (modelId: string, predictionId: string) => ({ pk: `PRED#${modelId}#${predictionId}`, sk: '#' }),
  /** The feedback categories or metric names a model counts by (names.ts). */
  names: (modelId: string, kind: string) => ({ pk: `NAMES#${modelId}`, sk: kind }),
} as const;

/**
 * Seconds per aggregation bucket for an evaluation window: fine enough that a window holds
 * whole buckets, coarse enough that reading a window takes few queries (at most 180 a shard).
 */
export function bucketResolution(windowSeconds: number): number {
  if (windowSeconds <= 3 * 3600) return 60;
  if (windowSeconds <= 7 * 86400) return 3600;
  return 86400;
}

export function bucketStart(epochSeconds: number, resolution: number): number {
  return Math.floor(epochSeconds / resolution) * resolution;
}

/** The UTC day (YYYY-MM-DD) of an epoch-milliseconds time. */
export function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}
