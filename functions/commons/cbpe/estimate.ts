import type { WindowCounters } from '#drift/profile';
import type { ThresholdCheck } from '../evaluation/performance.ts';
import { exactValue, readLimbs } from '../telemetry/exact.ts';
import type { Calibration } from './calibration.ts';

/** The metrics estimated (and realised, to compare), for the positive class. */
export const ESTIMATED_METRICS = ['accuracy', 'precision', 'recall', 'f1'] as const;
export type EstimatedMetric = (typeof ESTIMATED_METRICS)[number];
export type BinaryMetrics = Record<EstimatedMetric, number | null>;

/** Estimated performance of a window (docs/drift.md, "Estimated performance"). */
export interface EstimatedPerformance extends BinaryMetrics {
  /** Window predictions the estimate covers (every prediction with a score, of this baseline). */
  readonly samples: number;
  readonly positiveClass: string;
  /** Predictions whose score lay below the calibration's first threshold or above its last (clipped). */
  readonly clipped: { readonly below: number; readonly above: number };
  /** The same metrics from the actuals joined so far, once there are any. */
  readonly realised?: BinaryMetrics & { readonly samples: number };
  /** Estimate minus realised, per metric (null where either is). */
  readonly error?: BinaryMetrics;
  /** `thresholds.estimatedPerformance` against the estimate. */
  readonly checks: ThresholdCheck[];
}

/** 1 at the exact sums' scale. */
const ONE = exactValue(1);

/** num / den as the nearest double (within an ulp), for non-negative num and positive den; null when den is 0. */
function quotient(num: bigint, den: bigint): number | null {
  if (den === 0n) return null;
  if (num === 0n) return 0;
  const shift = 64 + den.toString(2).length - num.toString(2).length;
  const q = shift >= 0 ? (num << BigInt(shift)) / den : (num >> BigInt(-shift)) / den;
  let out = Number(q);
  for (let rest = shift; rest !== 0; ) {
    const step = Math.max(-1000, Math.min(1000, rest));
    out *= 2 ** -step;
    rest -= step;
  }
  return out;
}

/** Accuracy, precision, recall and F1 of confusion sums (each at the same scale). */
function metricsOf(tp: bigint, fp: bigint, fn: bigint, tn: bigint): BinaryMetrics {
  return {
    accuracy: quotient(tp + tn, tp + fp + fn + tn),
    precision: quotient(tp, tp + fp),
    recall: quotient(tp, tp + fn),
    f1: quotient(2n * tp, 2n * tp + fp + fn),
  };
}

/**
 * The confusion sums of a window's `@cbpe` counters (counters.ts), at the exact sums' scale:
 * TP = Σ ŷ·p̂, FP = Σ ŷ·(1 − p̂), FN = Σ (1 − ŷ)·p̂, TN = Σ (1 − ŷ)·(1 − p̂). Within piece j the
 * calibration is p̂(s) = y_j + (y_{j+1} − y_j)·(s − x_j)/(x_{j+1} − x_j), so the piece's Σ p̂ is
 * n·y_j + (y_{j+1} − y_j)·(Σs − n·x_j)/(x_{j+1} − x_j): exact integers but for one division,
 * truncated at 2^−2160; clipped scores each contribute y_0 or y_{m−1}.
 */
export function confusionSums(
  calibration: Pick<Calibration, 'x' | 'y'>,
  counters: WindowCounters,
): { tp: bigint; fp: bigint; fn: bigint; tn: bigint; samples: number; below: number; above: number } {
  const x = calibration.x.map(exactValue);
  const y = calibration.y.map(exactValue);
  const m = x.length;
  const first = y[0] as bigint;
  const last = y[m - 1] as bigint;
  const n = [0, 0];
  const p = [0n, 0n];
  const limbs = new Map<string, Record<string, number>>();
  let below = 0;
  let above = 0;
  for (const [key, value] of Object.entries(counters)) {
    const [kind, a, b] = key.split(':');
    if (kind === 'lo' || kind === 'hi') {
      const yHat = Number(a);
      if (yHat !== 0 && yHat !== 1) continue;
      n[yHat] = (n[yHat] as number) + value;
      p[yHat] = (p[yHat] as bigint) + BigInt(value) * (kind === 'lo' ? first : last);
      if (kind === 'lo') below += value;
      else above += value;
    } else if (kind === 's' && b !== undefined) {
      const cell = `s:${a}:${b.slice(0, b.indexOf('.'))}`;
      const sub = limbs.get(cell) ?? {};
      limbs.set(cell, sub);
      sub[key] = value;
    }
  }
  for (const [key, value] of Object.entries(counters)) {
    const [kind, a, b] = key.split(':');
    if (kind !== 'n') continue;
    const j = Number(a);
    const yHat = Number(b);
    if (!Number.isInteger(j) || j < 0 || j >= m || (yHat !== 0 && yHat !== 1)) continue;
    n[yHat] = (n[yHat] as number) + value;
    const count = BigInt(value);
    let sum = count * (y[j] as bigint);
    if (j + 1 < m) {
      const cell = `s:${j}:${yHat}`;
      const scores = readLimbs(limbs.get(cell) ?? {}, cell);
      const dy = (y[j + 1] as bigint) - (y[j] as bigint);
      const dx = (x[j + 1] as bigint) - (x[j] as bigint);
      sum += (dy * (scores - count * (x[j] as bigint))) / dx;
    }
    p[yHat] = (p[yHat] as bigint) + sum;
  }
  const [n0, n1] = n as [number, number];
  const [fn, tp] = p as [bigint, bigint];
  return {
    tp,
    fp: BigInt(n1) * ONE - tp,
    fn,
    tn: BigInt(n0) * ONE - fn,
    samples: n0 + n1,
    below,
    above,
  };
}

/** The estimated metrics of a window's `@cbpe` counters; all null without samples. */
export function estimateMetrics(
  calibration: Pick<Calibration, 'x' | 'y'>,
  counters: WindowCounters,
): BinaryMetrics & { samples: number; clipped: { below: number; above: number } } {
  const { tp, fp, fn, tn, samples, below, above } = confusionSums(calibration, counters);
  return { ...metricsOf(tp, fp, fn, tn), samples, clipped: { below, above } };
}

/**
 * The realised metrics of the positive class from a window's performance counters (joined
 * actuals: `n`, `correct`, and per class `a:`, `p:`, `tp:`), or undefined before any actual.
 */
export function realisedMetrics(
  positiveClass: string,
  counters: WindowCounters,
): (BinaryMetrics & { samples: number }) | undefined {
  const samples = counters.n ?? 0;
  if (samples === 0) return undefined;
  const tp = counters[`tp:${positiveClass}`] ?? 0;
  const predicted = counters[`p:${positiveClass}`] ?? 0;
  const actual = counters[`a:${positiveClass}`] ?? 0;
  const correct = counters.correct ?? 0;
  const big = (v: number) => BigInt(v);
  const fp = predicted - tp;
  const fn = actual - tp;
  return {
    ...metricsOf(big(tp), big(fp), big(fn), big(samples - tp - fp - fn)),
    accuracy: correct / samples,
    samples,
  };
}

/** Estimate minus realised, metric by metric. */
export function estimateError(estimate: BinaryMetrics, realised: BinaryMetrics): BinaryMetrics {
  const diff = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);
  return {
    accuracy: diff(estimate.accuracy, realised.accuracy),
    precision: diff(estimate.precision, realised.precision),
    recall: diff(estimate.recall, realised.recall),
    f1: diff(estimate.f1, realised.f1),
  };
}
