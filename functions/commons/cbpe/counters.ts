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

export class CbpeCounter {
  private readonly counts: WindowCounters = Object.create(null);
  private readonly sums = new Map<string, bigint>();

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
    this.sums.set(cell, (this.sums.get(cell) ?? 0n) + exactValue(score));
  }

  counters(): WindowCounters {
    const out: WindowCounters = { ...this.counts };
    for (const [cell, sum] of this.sums) addLimbs(out, `s:${cell}`, sum);
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
