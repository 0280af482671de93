/**
 * How many write shards a model needs for the prediction rate it declares (docs/scale.md).
 *
 * A batch of predictions becomes one delta item per bucket (almost always one) under the
 * bucket's partition on one write shard picked at random, so each shard's partition receives
 * `batches/s ÷ shards` deltas a second. A DynamoDB partition key takes at most 1,000 write
 * capacity units a second (1 WCU per KB written), whatever the table's capacity mode.
 */

/** Most write shards a model may have. */
export const MAX_WRITE_SHARDS = 64;
/** DynamoDB's write throughput of one partition key, in WCU per second. */
export const PARTITION_WCU_PER_SECOND = 1000;
/**
 * Batches arrive at random and pick their shard at random, so the deltas one key receives in a
 * second are Poisson-distributed: a key sized for its mean λ deltas a second is sized for
 * λ + 3.3·√λ, which one second in about 2,000 exceeds (`npm run bench:partitions` replays it).
 */
export const POISSON_MARGIN = 3.3;
/**
 * Deflated size of a batch delta per column (a feature or the prediction), in KB: a batch of
 * 500 records with 12 features and the prediction is one delta of about 17 KB (`bench:ingest`),
 * and a numerical column's 200 sketch counters are most of it, whatever the batch size.
 */
export const DELTA_KB_PER_COLUMN = 1.35;

export interface ExpectedLoad {
  readonly predictionsPerSecond: number;
  readonly recordsPerBatch: number;
}

/** The WCU one batch delta of a model with `features` features costs (rounded up to whole KB). */
export function deltaWcu(features: number): number {
  return Math.ceil((features + 1) * DELTA_KB_PER_COLUMN);
}

/**
 * The write shards a model with `features` features needs for `load` so that no shard's bucket
 * key goes over 1,000 WCU in a second but rarely (see {@link POISSON_MARGIN}), and the WCU/s
 * its deltas write.
 */
export function requiredWriteShards(
  features: number,
  load: ExpectedLoad,
): { shards: number; wcuPerSecond: number } {
  const batchesPerSecond = load.predictionsPerSecond / load.recordsPerBatch;
  const perDelta = deltaWcu(features);
  // The deltas a key takes a second, c = 1000 / perDelta, must cover λ + z·√λ: solve for √λ.
  const capacity = PARTITION_WCU_PER_SECOND / perDelta;
  const root = (-POISSON_MARGIN + Math.sqrt(POISSON_MARGIN ** 2 + 4 * capacity)) / 2;
  const perShard = root * root;
  return {
    shards: Math.max(1, Math.ceil(batchesPerSecond / perShard)),
    wcuPerSecond: batchesPerSecond * perDelta,
  };
}

/**
 * The write shards of a model as registered: what it asks for, raised to what its declared
 * load needs (up to {@link MAX_WRITE_SHARDS}), with a warning for each adjustment or shortfall.
 */
export function sizeWriteShards(model: {
  readonly features: readonly unknown[];
  readonly writeShards: number;
  readonly expectedLoad?: ExpectedLoad | undefined;
}): { writeShards: number; warnings: { path: string; message: string }[] } {
  if (!model.expectedLoad) return { writeShards: model.writeShards, warnings: [] };
  const { shards, wcuPerSecond } = requiredWriteShards(model.features.length, model.expectedLoad);
  const rate = `${model.expectedLoad.predictionsPerSecond.toLocaleString('en-US')} predictions/s in batches of ${model.expectedLoad.recordsPerBatch}`;
  const writes = `about ${Math.round(wcuPerSecond).toLocaleString('en-US')} WCU/s`;
  if (shards > MAX_WRITE_SHARDS) {
    return {
      writeShards: MAX_WRITE_SHARDS,
      warnings: [
        {
          path: 'expectedLoad',
          message: `${rate} writes ${writes}, which needs ${shards} write shards; at most ${MAX_WRITE_SHARDS} are allowed, so the hottest partition will throttle. Send larger batches or split the model`,
        },
      ],
    };
  }
  if (shards > model.writeShards) {
    return {
      writeShards: shards,
      warnings: [
        {
          path: 'writeShards',
          message: `raised from ${model.writeShards} to ${shards}: ${rate} writes ${writes}, and one partition key takes ${PARTITION_WCU_PER_SECOND} WCU/s`,
        },
      ],
    };
  }
  return { writeShards: model.writeShards, warnings: [] };
}
