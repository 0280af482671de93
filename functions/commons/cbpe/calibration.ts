/**
 * The calibration of confidence-based performance estimation (docs/drift.md, "Estimated
 * performance"): an isotonic regression of "the actual is the positive class" on the model's
 * score, fitted on a baseline's records exactly as scikit-learn 1.2's
 * `IsotonicRegression(out_of_bounds="clip")` fits it, and evaluated as it predicts: linear
 * between its thresholds, constant (clipped) outside them.
 *
 * Every step is the same sequence of double operations as scikit-learn's, so the thresholds are
 * the same doubles:
 * 1. the pairs sorted by score, then by target (`np.lexsort((y, X))`);
 * 2. scores within 1e-15 (NumPy's float64 resolution) of the first score of a run merged into
 *    that first score, with the mean target of the run (`_make_unique`);
 * 3. the pool-adjacent-violators algorithm, increasing, weighted by the merged counts
 *    (`_inplace_contiguous_isotonic_regression`);
 * 4. of each run of equal fitted values, only its first and last point kept (`_build_y`'s
 *    `trim_duplicates`).
 */

/** NumPy's `np.finfo(np.float64).resolution`: scores closer than this to a run's first are one. */
const RESOLUTION = 1e-15;

/**
 * Most thresholds a calibration may have. A baseline whose calibration needs more is refused
 * (the calibration is never coarsened, so the estimate stays exact): scores rounded to three
 * decimals have at most 1,001 distinct values, hence at most as many thresholds.
 */
export const MAX_CALIBRATION_THRESHOLDS = 1024;

export interface Calibration {
  /** The positive class, as predictions and actuals are compared with it: a string. */
  readonly positiveClass: string;
  /** Scores of the thresholds, increasing. */
  readonly x: readonly number[];
  /** The calibrated probability at each threshold, non-decreasing. */
  readonly y: readonly number[];
  /** Baseline records the calibration was fitted on. */
  readonly samples: number;
}

/** Thresholds of the isotonic regression of `y` on `x` (increasing, unit weights, trimmed). */
export function fitIsotonic(x: readonly number[], y: readonly number[]): { x: number[]; y: number[] } {
  if (x.length !== y.length || x.length === 0)
    throw new RangeError('fitIsotonic needs as many x as y, at least one');
  // 1. Sorted by x, then y; ties in both are interchangeable.
  const order = x.map((_, i) => i);
  order.sort((a, b) => (x[a] as number) - (x[b] as number) || (y[a] as number) - (y[b] as number));
  // 2. Runs of x within the resolution of their first merged (weights are 1).
  const ux: number[] = [];
  const uy: number[] = [];
  const uw: number[] = [];
  let currentX = x[order[0] as number] as number;
  let currentY = 0;
  let currentW = 0;
  for (const i of order) {
    const xi = x[i] as number;
    const yi = y[i] as number;
    if (xi - currentX >= RESOLUTION) {
      ux.push(currentX);
      uw.push(currentW);
      uy.push(currentY / currentW);
      currentX = xi;
      currentW = 1;
      currentY = yi * 1;
    } else {
      currentW += 1;
      currentY += yi * 1;
    }
  }
  ux.push(currentX);
  uw.push(currentW);
  uy.push(currentY / currentW);
  // 3. Pool adjacent violators.
  const fitted = poolAdjacentViolators(uy, uw);
  // 4. Trim the inside points of runs of equal values.
  const keptX: number[] = [];
  const keptY: number[] = [];
  for (let i = 0; i < fitted.length; i++) {
    const v = fitted[i] as number;
    const inside = i > 0 && i < fitted.length - 1 && v === fitted[i - 1] && v === fitted[i + 1];
    if (!inside) {
      keptX.push(ux[i] as number);
      keptY.push(v);
    }
  }
  return { x: keptX, y: keptY };
}

/** scikit-learn's `_inplace_contiguous_isotonic_regression`, on copies. */
function poolAdjacentViolators(values: readonly number[], weights: readonly number[]): number[] {
  const y = [...values];
  const w = [...weights];
  const n = y.length;
  // If [i..j] is a block, target[i] = j and target[j] = i.
  const target = y.map((_, i) => i);
  let i = 0;
  while (i < n) {
    let k = (target[i] as number) + 1;
    if (k === n) break;
    if ((y[i] as number) < (y[k] as number)) {
      i = k;
      continue;
    }
    let sumWy = (w[i] as number) * (y[i] as number);
    let sumW = w[i] as number;
    for (;;) {
      const prevY = y[k] as number;
      sumWy += (w[k] as number) * (y[k] as number);
      sumW += w[k] as number;
      k = (target[k] as number) + 1;
      if (k === n || prevY < (y[k] as number)) {
        y[i] = sumWy / sumW;
        w[i] = sumW;
        target[i] = k - 1;
        target[k - 1] = i;
        if (i > 0) i = target[i - 1] as number;
        break;
      }
    }
  }
  for (i = 0; i < n; ) {
    const k = (target[i] as number) + 1;
    for (let j = i + 1; j < k; j++) y[j] = y[i] as number;
    i = k;
  }
  return y;
}

/**
 * The piece of the calibration a score falls in: `below` its first threshold, `above` its last,
 * or the index j of the piece [x_j, x_{j+1}] holding it (the last piece holds x_{m−1}; a
 * calibration of one threshold has the one piece 0, of that score alone).
 */
export function pieceOf(calibration: Pick<Calibration, 'x'>, score: number): number | 'below' | 'above' {
  const { x } = calibration;
  const m = x.length;
  if (score < (x[0] as number)) return 'below';
  if (score > (x[m - 1] as number)) return 'above';
  if (m === 1) return 0;
  // The largest j ≤ m − 2 with x_j ≤ score.
  let lo = 0;
  let hi = m - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((x[mid] as number) <= score) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The calibrated probability of a score, as scikit-learn predicts it (SciPy's `interp1d`, clipped). */
export function calibrate(calibration: Pick<Calibration, 'x' | 'y'>, score: number): number {
  const { x, y } = calibration;
  const m = x.length;
  if (m === 1) return y[0] as number;
  const clipped = Math.min(Math.max(score, x[0] as number), x[m - 1] as number);
  // interp1d: the first index with x ≥ the score (searchsorted, left), kept within 1 … m − 1.
  let lo = 0;
  let hi = m;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((x[mid] as number) < clipped) lo = mid + 1;
    else hi = mid;
  }
  const j = Math.min(Math.max(lo, 1), m - 1);
  const x0 = x[j - 1] as number;
  const y0 = y[j - 1] as number;
  const slope = ((y[j] as number) - y0) / ((x[j] as number) - x0);
  return slope * (clipped - x0) + y0;
}
