/**
 * bench/partitions: replays a prediction rate against Vigil's partition layout and reports the
 * write capacity the hottest partition key receives, second by second (docs/scale.md).
 *
 * Batches arrive as a Poisson process (rate ÷ records per batch a second). As the ingest does,
 * each batch writes one delta of `deltaWcu(features)` WCU to the partition of its bucket on a
 * write shard picked at random (`PROFILE#{model}#60#{minute}#{shard}`), one 1-WCU ADD to the day's
 * totals on the same shard (`TOTALS#{model}#{shard}`) and three 1-WCU writes to its own batch
 * ledger item (lease, applied updates, answer; a partition of its own). A partition key takes
 * 1,000 WCU/s. The figures are per key: DynamoDB splits a hot physical partition between keys,
 * never one key.
 *
 *   npx tsx bench/partitions.ts [--seconds 60]
 */
import { parseArgs } from 'node:util';
import {
  deltaWcu,
  MAX_WRITE_SHARDS,
  PARTITION_WCU_PER_SECOND,
  requiredWriteShards,
} from '../functions/commons/registry/capacity.ts';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '60' } } });
const SECONDS = Number(args.seconds);
const LEDGER_WRITES = 3;

let state = 42;
/** mulberry32, seeded: the same replay every run. */
function uniform(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

interface Scenario {
  name: string;
  models: number;
  predictionsPerSecond: number;
  recordsPerBatch: number;
  features: number;
  shards: number;
}

interface Replay {
  hottestKeyWcu: number;
  hottestKey: string;
  meanBucketKeyWcu: number;
  tableWcu: number;
  secondsOverLimit: number;
}

/** Replays `scenario` for SECONDS seconds; per second, the WCU each partition key received. */
function replay(scenario: Scenario): Replay {
  const perBatch = deltaWcu(scenario.features);
  const batchesPerSecond = scenario.predictionsPerSecond / scenario.recordsPerBatch;
  let hottestKeyWcu = 0;
  let hottestKey = '';
  let bucketKeyWcu = 0;
  let bucketKeySeconds = 0;
  let tableWcu = 0;
  let secondsOverLimit = 0;
  for (let second = 0; second < SECONDS; second++) {
    const minute = Math.floor(second / 60);
    const keys = new Map<string, number>();
    const add = (key: string, wcu: number) => keys.set(key, (keys.get(key) ?? 0) + wcu);
    for (let model = 0; model < scenario.models; model++) {
      // Poisson arrivals within the second: exponential gaps.
      for (
        let t = -Math.log(1 - uniform()) / batchesPerSecond;
        t < 1;
        t += -Math.log(1 - uniform()) / batchesPerSecond
      ) {
        const shard = Math.floor(uniform() * scenario.shards);
        add(`PROFILE#m${model}#60#${minute}#${shard}`, perBatch);
        add(`TOTALS#m${model}#${shard}`, 1);
        tableWcu += perBatch + 1 + LEDGER_WRITES; // each ledger item is a key of its own
      }
    }
    let over = false;
    for (const [key, wcu] of keys) {
      if (wcu > hottestKeyWcu) {
        hottestKeyWcu = wcu;
        hottestKey = key.replace(/#\d+#(\d+)$/, '#{minute}#$1');
      }
      if (key.startsWith('PROFILE#')) {
        bucketKeyWcu += wcu;
        bucketKeySeconds++;
      }
      if (wcu > PARTITION_WCU_PER_SECOND) over = true;
    }
    if (over) secondsOverLimit++;
  }
  return {
    hottestKeyWcu,
    hottestKey,
    meanBucketKeyWcu: bucketKeySeconds ? bucketKeyWcu / bucketKeySeconds : 0,
    tableWcu: tableWcu / SECONDS,
    secondsOverLimit,
  };
}

const scenarios: Scenario[] = [];
for (const features of [12, 50]) {
  const load = { predictionsPerSecond: 100_000, recordsPerBatch: 500 };
  const sized = requiredWriteShards(features, load);
  for (const shards of [...new Set([1, Math.max(1, sized.shards - 1), sized.shards])]) {
    scenarios.push({
      name: `1 model at 100,000/s, ${features} features${shards === sized.shards ? ' (registry size)' : ''}`,
      models: 1,
      ...load,
      features,
      shards: Math.min(shards, MAX_WRITE_SHARDS),
    });
  }
}
scenarios.push({
  name: '10,000 models at 100/s, 12 features',
  models: 10_000,
  predictionsPerSecond: 100,
  recordsPerBatch: 500,
  features: 12,
  shards: requiredWriteShards(12, { predictionsPerSecond: 100, recordsPerBatch: 500 }).shards,
});

console.log(
  `Partition replay, ${SECONDS} s per scenario, Poisson batch arrivals; a key takes ${PARTITION_WCU_PER_SECOND} WCU/s`,
);
console.log(
  `${'scenario'.padEnd(48)}${'shards'.padStart(7)}${'delta WCU'.padStart(10)}${'hottest key WCU/s'.padStart(19)}${'mean bucket key'.padStart(16)}${'table WCU/s'.padStart(13)}${'s over 1,000'.padStart(13)}`,
);
for (const scenario of scenarios) {
  const r = replay(scenario);
  console.log(
    `${scenario.name.padEnd(48)}${String(scenario.shards).padStart(7)}${String(deltaWcu(scenario.features)).padStart(10)}${r.hottestKeyWcu
      .toFixed(0)
      .padStart(
        19,
      )}${r.meanBucketKeyWcu.toFixed(0).padStart(16)}${r.tableWcu.toFixed(0).padStart(13)}${`${r.secondsOverLimit}/${SECONDS}`.padStart(13)}`,
  );
}
