/**
 * The few NumPy behaviours the drift statistics depend on, reproduced bit for bit where the
 * order of floating-point operations matters (docs/drift.md names NumPy/SciPy as the reference).
 */

/** NumPy's reduction buffer: `np.add.reduce` sums each block of 8192 elements pairwise. */
const REDUCE_BLOCK = 8192;

/**
 * `np.sum` of a float64 array: the array is reduced in blocks of 8192 elements, each block with
 * NumPy's pairwise summation (`DOUBLE_pairwise_sum` in `loops_utils.h.src`), the block sums
 * added in order to an accumulator starting at 0.
 */
export function npSum(values: ArrayLike<number>): number {
  let total = 0;
  for (let start = 0; start < values.length; start += REDUCE_BLOCK) {
    total += pairwiseSum(values, start, Math.min(REDUCE_BLOCK, values.length - start));
  }
  return total;
}

/**
 * `np.sum` of values produced one at a time, without holding them all: the values are gathered
 * in one block of 8192 and each full block is reduced as {@link npSum} reduces it, so the total
 * is bit-identical to `npSum` of the whole sequence. Memory is one block, whatever the length.
 */
export class StreamingSum {
  private readonly block = new Float64Array(REDUCE_BLOCK);
  private filled = 0;
  private total = 0;

  add(value: number): void {
    this.block[this.filled++] = value;
    if (this.filled === REDUCE_BLOCK) {
      this.total += pairwiseSum(this.block, 0, REDUCE_BLOCK);
      this.filled = 0;
    }
  }

  /** The sum of every value added; the accumulator is left as it is. */
  sum(): number {
    return this.filled === 0 ? this.total : this.total + pairwiseSum(this.block, 0, this.filled);
  }
}

function pairwiseSum(a: ArrayLike<number>, offset: number, n: number): number {
  if (n < 8) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += a[offset + i] as number;
    return sum;
  }
  if (n <= 128) {
    let r0 = a[offset] as number;
    let r1 = a[offset + 1] as number;
    let r2 = a[offset + 2] as number;
    let r3 = a[offset + 3] as number;
    let r4 = a[offset + 4] as number;
    let r5 = a[offset + 5] as number;
    let r6 = a[offset + 6] as number;
    let r7 = a[offset + 7] as number;
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      const k = offset + i;
      r0 += a[k] as number;
      r1 += a[k + 1] as number;
      r2 += a[k + 2] as number;
      r3 += a[k + 3] as number;
      r4 += a[k + 4] as number;
      r5 += a[k + 5] as number;
      r6 += a[k + 6] as number;
      r7 += a[k + 7] as number;
    }
    let sum = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; i < n; i++) sum += a[offset + i] as number;
    return sum;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return pairwiseSum(a, offset, half) + pairwiseSum(a, offset + half, n - half);
}

/** `np.round` (round half to even) of a double. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * `np.quantile(values, q)` with NumPy's default method "linear" (Hyndman & Fan type 7), on
 * values already sorted ascending: virtual index (n-1)·q, then NumPy's `_lerp`, which
 * interpolates from the upper neighbour when the weight is at least one half.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  const virtualIndex = (n - 1) * q;
  let previous: number;
  let next: number;
  let gamma: number;
  if (virtualIndex >= n - 1) {
    // NumPy points both neighbours at the last element (index -1), so gamma = v - (-1).
    previous = n - 1;
    next = n - 1;
    gamma = virtualIndex + 1;
  } else {
    previous = Math.floor(virtualIndex);
    next = previous + 1;
    gamma = virtualIndex - previous;
  }
  const a = sorted[previous] as number;
  const b = sorted[next] as number;
  const diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/** `np.searchsorted(sorted, x, side="left")`: the number of elements strictly less than x. */
export function searchLeft(sorted: ArrayLike<number>, x: number, lo = 0, hi = sorted.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `np.searchsorted(sorted, x, side="right")`: the number of elements less than or equal to x. */
export function searchRight(sorted: ArrayLike<number>, x: number, lo = 0, hi = sorted.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `np.unique` of an ascending array of finite numbers. */
export function uniqueSorted(sorted: readonly number[]): number[] {
  const out: number[] = [];
  for (const x of sorted) {
    if (out.length === 0 || x !== out[out.length - 1]) out.push(x);
  }
  return out;
}

/** Python's `math.gcd` for non-negative integers. */
export function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) {
    const t = x % y;
    x = y;
    y = t;
  }
  return x;
}

/** `np.clip(x, 0, 1)`. */
export function clip01(x: number): number {
  return Math.min(Math.max(x, 0), 1);
}
