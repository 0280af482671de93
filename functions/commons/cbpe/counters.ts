import type { WindowCounters } from '#drift/profile';
import { addLimbs, exactValue } from '../telemetry/exact.ts';
import { type Calibration, pieceOf } from './calibration.ts';

/**
 * The window counters of estimated performance: the `@cbpe` column of a batch's delta, binned by
 * the baseline whose calibration it uses. Per piece j of the calibration and per ŷ (1 when the
 * prediction is the positive class, else 0): the count `n:<j>:<ŷ>` and the exact sum of the
 * scores `s:<j>:<ŷ>` (limbs, exact.ts); and per ŷ the counts of scores below the calibration's
 * first threshold (`lo:<ŷ>`) and above its last (`hi:<ŷ>`), which it clips. Everything adds up
 * by plain addition, like every other counter.
 */
export const CBPE_COLUMN = '@cbpe';

/** The label as predictions and actuals are compared with the positive class. */
export const labelOf = (value: unknown): string => String(value);

const view = new DataView(new ArrayBuffer(8));

/**
 * An exact sum of non-negative doubles, cheap per value: each double is m·2^E (m an integer of
 * 53 bits, E ≥ −1074), and per E the sum of m is kept as two doubles, of its top 21 bits and of
 * its low 32 bits, exact for up to 2^21 values (a batch has at most 1,000). `exact` turns it into
 * the exact sum at the scale of exact.ts.
 */
export class ScoreSum {
  private readonly byExponent = new Map<number, { high: number; low: number }>();

  add(x: number): void {
    view.setFloat64(0, x);
    const top = view.getUint32(0);
    const biased = (top >>> 20) & 0x7ff;
    const high = (top & 0xfffff) + (biased > 0 ? 0x100000 : 0);
    const e = Math.max(biased, 1) - 1075;
    const sum = this.byExponent.get(e);
    if (sum) {
      sum.high += high;
      sum.low += view.getUint32(4);
    } else this.byExponent.set(e, { high, low: view.getUint32(4) });
  }

  exact(): bigint {
    let total = 0n;
    for (const [e, { high, low }] of this.byExponent)
      total += ((BigInt(high) << 32n) + BigInt(low)) * exactValue(2 ** e);
    return total;
  }
}

export class CbpeCounter {
  private readonly counts: WindowCounters = Object.create(null);
  private readonly sums = new Map<string, ScoreSum>();

  constructor(private readonly calibration: Calibration) {}

  add(prediction: unknown, score: number): void {
    const yHat = labelOf(prediction) === this.calibration.positiveClass ? 1 : 0;
    const piece = pieceOf(this.calibration, score);
    if (piece === 'below' || piece === 'above') {
      const key = `${piece === 'below' ? 'lo' : 'hi'}:${yHat}`;
      this.counts[key] = (this.counts[key] ?? 0) + 1;
      return;
    }
    const cell = `${piece}:${yHat}`;
    this.counts[`n:${cell}`] = (this.counts[`n:${cell}`] ?? 0) + 1;
    let sum = this.sums.get(cell);
    if (!sum) {
      sum = new ScoreSum();
      this.sums.set(cell, sum);
    }
    sum.add(score);
  }

  counters(): WindowCounters {
    const out: WindowCounters = { ...this.counts };
    for (const [cell, sum] of this.sums) addLimbs(out, `s:${cell}`, sum.exact());
    return out;
  }
}

/** A batch's `@cbpe` counters per bucket; does nothing without a calibration. */
export class CbpeBuckets {
  private readonly buckets = new Map<number, CbpeCounter>();

  constructor(private readonly calibration: Calibration | undefined) {}

  add(bucket: number, record: { prediction: unknown; score?: number }): void {
    if (!this.calibration || record.score === undefined) return;
    let counter = this.buckets.get(bucket);
    if (!counter) {
      counter = new CbpeCounter(this.calibration);
      this.buckets.set(bucket, counter);
    }
    counter.add(record.prediction, record.score);
  }

  /** The bucket's columns to add to its delta: `@cbpe`, or none. */
  columns(bucket: number): Record<string, WindowCounters> {
    const counter = this.buckets.get(bucket);
    return counter ? { [CBPE_COLUMN]: counter.counters() } : {};
  }
}
