import type { WindowCounters } from '#drift/profile';
import { type BucketDeltas, type ColumnCounters, countersOf, decodePayload } from './deltas.ts';

/**
 * The read side of window profiles, for evaluations: the deltas of a window's buckets summed per
 * column into flat arrays instead of string-keyed objects, and the merged deltas of closed
 * buckets decoded once per execution environment.
 *
 * A delta's column is kept as its counters in their order, each key mapped to a slot: the
 * sketch counters of a numerical column (`miss`, `sum`, `sq`, `s<k>`, `o<k>`) to fixed slots of
 * a `Float64Array`, any other key (`c:<category>`, the counters of other columns) to a slot the
 * column's sum assigns on first sight. Summing is then one addition per counter into an array,
 * in the same order as adding the decoded objects key by key (`(sum[key] ?? 0) + value`, delta
 * after delta): the sums are the same doubles, and {@link WindowSum.columns} gives back the
 * counters with their keys in the order they were first seen, as the objects would have them.
 *
 * A merged delta is immutable: its key carries a random part and it is written once, never
 * rewritten (a batch delta may be, by a replay after it was merged, so those are decoded on
 * every read). Its decoded form is kept in a bounded cache (least recently used first out), so
 * evaluations of windows that overlap (a window longer than the schedule's period, the lagged
 * window of a seasonal reference, evaluations asked for again) decode each bucket once.
 */

/** Counters kept decoded, in all (about 20 bytes each: 40 MB at most). */
export const DECODED_COUNTERS_LIMIT = 2_000_000;

/** One column of a delta: its counters in order, their fixed slots (−1: a key of its own) and values. */
interface CompactColumn {
  readonly column: string;
  readonly keys: readonly string[];
  readonly slots: Int32Array;
  readonly values: Float64Array;
}

type CompactDelta = readonly CompactColumn[];

const FIXED: Readonly<Record<string, number>> = { miss: 0, sum: 1, sq: 2 };
/** The largest sketch bin index with a fixed slot (profiles have at most a few hundred bins). */
const MAX_SKETCH_BIN = 1 << 20;

/**
 * The fixed slot of a numerical column's counter: `miss`, `sum`, `sq` first, then `s<k>` and
 * `o<k>` interleaved. −1 for any other key (including `s01`, which is not `s1`).
 */
export function fixedSlot(key: string): number {
  const fixed = FIXED[key];
  if (fixed !== undefined) return fixed;
  const kind = key.charCodeAt(0);
  if ((kind !== 115 && kind !== 111) || key.length < 2 || key.length > 8) return -1; // 's', 'o'
  if (key.charCodeAt(1) === 48 && key.length > 2) return -1; // a leading zero
  let k = 0;
  for (let i = 1; i < key.length; i++) {
    const digit = key.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    k = k * 10 + digit;
  }
  if (k > MAX_SKETCH_BIN) return -1;
  return 3 + 2 * k + (kind === 111 ? 1 : 0);
}

function compact(columns: ColumnCounters): CompactDelta {
  const out: CompactColumn[] = [];
  for (const column in columns) {
    const counters = columns[column] as WindowCounters;
    const keys = Object.keys(counters);
    const slots = new Int32Array(keys.length);
    const values = new Float64Array(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      slots[i] = fixedSlot(key);
      values[i] = counters[key] as number;
    }
    out.push({ column, keys, slots, values });
  }
  return out;
}

const cache = new Map<string, CompactDelta>();
let cachedCounters = 0;

const sizeOf = (delta: CompactDelta) => delta.reduce((n, c) => n + c.keys.length, 0);

type Delta = BucketDeltas['live'][number];

/** A live delta of partition `pk`, in its compact form: from the cache for a merged delta. */
function compactDelta(pk: string, delta: Delta): CompactDelta {
  if (!delta.merged) return compact(countersOf(delta));
  const key = `${pk}\n${delta.sk}`;
  const hit = cache.get(key);
  if (hit) {
    // Most recently used last.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const decoded = compact(decodePayload(delta.item.payload as Uint8Array));
  const size = sizeOf(decoded);
  if (size <= DECODED_COUNTERS_LIMIT / 4) {
    cache.set(key, decoded);
    cachedCounters += size;
    for (const [oldest, value] of cache) {
      if (cachedCounters <= DECODED_COUNTERS_LIMIT) break;
      cache.delete(oldest);
      cachedCounters -= sizeOf(value);
    }
  }
  return decoded;
}

/** Forgets every decoded delta (tests). */
export function clearDecodedDeltas(): void {
  cache.clear();
  cachedCounters = 0;
}

/** The sum of one column: fixed slots in `fixed`, its other keys in `named`, keys in first-seen order. */
class ColumnSum {
  fixed = new Float64Array(3 + 2 * 128);
  seen = new Uint8Array(this.fixed.length);
  readonly named = new Map<string, number>();
  readonly order: string[] = [];

  add(keys: readonly string[], slots: Int32Array, values: Float64Array): void {
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i] as number;
      if (slot < 0) {
        const key = keys[i] as string;
        const sum = this.named.get(key);
        if (sum === undefined) {
          this.named.set(key, 0 + (values[i] as number));
          this.order.push(key);
        } else this.named.set(key, sum + (values[i] as number));
        continue;
      }
      if (slot >= this.fixed.length) this.grow(slot);
      if (this.seen[slot] === 0) {
        this.seen[slot] = 1;
        this.order.push(keys[i] as string);
      }
      this.fixed[slot] = (this.fixed[slot] as number) + (values[i] as number);
    }
  }

  private grow(slot: number): void {
    const length = Math.max(slot + 1, this.fixed.length * 2);
    const fixed = new Float64Array(length);
    fixed.set(this.fixed);
    const seen = new Uint8Array(length);
    seen.set(this.seen);
    this.fixed = fixed;
    this.seen = seen;
  }

  counters(): WindowCounters {
    const out: WindowCounters = {};
    for (const key of this.order) {
      const slot = fixedSlot(key);
      out[key] = slot < 0 ? (this.named.get(key) as number) : (this.fixed[slot] as number);
    }
    return out;
  }
}

/**
 * The counters of one baseline summed over buckets' deltas, column by column: what adding up
 * the decoded deltas in the same order gives (deltas.ts `bucketColumns`), bit for bit.
 */
export class WindowSum {
  private readonly sums = new Map<string, ColumnSum>();

  /** Adds the live deltas of `baseline` in a bucket partition `pk` read as `deltas`. */
  addBucket(pk: string, deltas: BucketDeltas, baseline: number): void {
    for (const delta of deltas.live) {
      if (delta.baseline !== baseline) continue;
      for (const { column, keys, slots, values } of compactDelta(pk, delta)) {
        let sum = this.sums.get(column);
        if (!sum) {
          sum = new ColumnSum();
          this.sums.set(column, sum);
        }
        sum.add(keys, slots, values);
      }
    }
  }

  /** The summed counters per column, columns in first-seen order. */
  columns(into = new Map<string, WindowCounters>()): Map<string, WindowCounters> {
    for (const [column, sum] of this.sums) into.set(column, sum.counters());
    return into;
  }
}
