import { type BinnedStats, binnedStats, countSortedIntoBins, quantileEdges } from './binned.ts';
import { type KsResult, ks2sampSorted } from './ks.ts';
import { npSum, StreamingSum } from './numpy.ts';
import { sortedCopy, sortInPlace } from './sort.ts';

/** The statistics of a numerical column (docs/drift.md, "Numerical columns"). */
export interface NumericalStats extends BinnedStats {
  ks: KsResult;
  wasserstein: number;
  wassersteinNormed: number;
}

/** The divisor of `wassersteinNormed` is at least this, so a constant reference still works. */
export const MIN_NORMALISING_STD = 0.001;

/** Everything computed for a numerical column: the statistics and the drift histogram. */
export interface NumericalComparison {
  stats: NumericalStats;
  /** The unique reference quantiles; the drift bins are split at `edges[1:-1]`. */
  edges: number[];
  referenceCounts: number[];
  currentCounts: number[];
}

/**
 * Compares two non-empty samples of finite values. The inputs are not modified: the
 * reference's standard deviation is taken in input order (as `np.std` on the same data), then
 * sorted copies of both sides feed KS and Wasserstein (one merge pass each) and the bins. The
 * two sorts share one scratch buffer. Callers that own the arrays use
 * {@link compareNumericalInPlace}, which makes no copy.
 */
export function compareNumerical(
  reference: Float64Array,
  current: Float64Array,
  bins: number,
): NumericalComparison {
  const std = populationStd(reference);
  const scratch = new Float64Array(Math.max(reference.length, current.length));
  return compareSorted(sortedCopy(reference, scratch), sortedCopy(current, scratch), std, bins);
}

/**
 * As {@link compareNumerical}, sorting the samples in place (their order is lost, their values
 * kept): the only array it makes is the sorts' shared scratch buffer. The standard deviation is
 * still taken in input order, before the sort, so the results are identical.
 */
export function compareNumericalInPlace(
  reference: Float64Array,
  current: Float64Array,
  bins: number,
): NumericalComparison {
  const std = populationStd(reference);
  const scratch = new Float64Array(Math.max(reference.length, current.length));
  return compareSorted(sortInPlace(reference, scratch), sortInPlace(current, scratch), std, bins);
}

function compareSorted(r: Float64Array, c: Float64Array, std: number, bins: number): NumericalComparison {
  const wasserstein = wassersteinSorted(r, c);
  const edges = quantileEdges(r, bins);
  const inner = edges.slice(1, -1);
  const referenceCounts = countSortedIntoBins(r, inner);
  const currentCounts = countSortedIntoBins(c, inner);
  return {
    stats: {
      ks: ks2sampSorted(r, c),
      wasserstein,
      wassersteinNormed: wasserstein / Math.max(std, MIN_NORMALISING_STD),
      ...binnedStats(referenceCounts, currentCounts),
    },
    edges,
    referenceCounts,
    currentCounts,
  };
}

/** `np.std(values)` (ddof = 0): two passes with NumPy's pairwise sums, streamed. */
export function populationStd(values: Float64Array): number {
  const n = values.length;
  const mean = npSum(values) / n;
  const squares = new StreamingSum();
  for (let i = 0; i < n; i++) {
    const d = (values[i] as number) - mean;
    squares.add(d * d);
  }
  return Math.sqrt(squares.sum() / n);
}

/** `scipy.stats.wasserstein_distance(u, v)` on unsorted finite samples; the inputs are left untouched. */
export function wassersteinDistance(u: Float64Array, v: Float64Array): number {
  const scratch = new Float64Array(Math.max(u.length, v.length));
  return wassersteinSorted(sortedCopy(u, scratch), sortedCopy(v, scratch));
}

/** As {@link wassersteinDistance}, sorting the samples in place (for callers that own them). */
export function wassersteinInPlace(u: Float64Array, v: Float64Array): number {
  const scratch = new Float64Array(Math.max(u.length, v.length));
  return wassersteinSorted(sortInPlace(u, scratch), sortInPlace(v, scratch));
}

/**
 * The 1-Wasserstein distance ∫|F_u − F_v| of two sorted, non-empty samples, as SciPy's
 * `_cdf_distance(1, u, v)`: over the merged sorted values w_0 ≤ … ≤ w_{N−1}, the terms
 * |F_u(w_i) − F_v(w_i)|·(w_{i+1} − w_i) (zero between tied values) are laid out in merged order
 * and summed with NumPy's pairwise sum, so the result is bit-identical to SciPy's. The terms
 * are summed as they are produced (see {@link StreamingSum}), not kept.
 */
export function wassersteinSorted(u: Float64Array, v: Float64Array): number {
  const n1 = u.length;
  const n2 = v.length;
  const length = n1 + n2 - 1;
  const terms = new StreamingSum();
  let written = 0; // terms laid out so far; the slots of tied values hold 0
  let i = 0;
  let j = 0;
  while (i < n1 || j < n2) {
    const x =
      j >= n2 || (i < n1 && (u[i] as number) <= (v[j] as number)) ? (u[i] as number) : (v[j] as number);
    while (i < n1 && (u[i] as number) <= x) i++;
    while (j < n2 && (v[j] as number) <= x) j++;
    const position = i + j - 1; // the last merged slot holding x
    if (position < length) {
      for (; written < position; written++) terms.add(0);
      const next =
        j >= n2 || (i < n1 && (u[i] as number) <= (v[j] as number)) ? (u[i] as number) : (v[j] as number);
      terms.add(Math.abs(i / n1 - j / n2) * (next - x));
      written++;
    }
  }
  for (; written < length; written++) terms.add(0);
  return terms.sum();
}
