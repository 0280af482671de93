import { type BinnedStats, binnedStats, countSortedIntoBins, quantileEdges } from './binned.ts';
import { type KsResult, ks2sampSorted } from './ks.ts';
import { npSum } from './numpy.ts';
import { sortedCopy } from './sort.ts';

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
 * sorted copies of both sides feed KS and Wasserstein (one merge pass each) and the bins.
 */
export function compareNumerical(
  reference: Float64Array,
  current: Float64Array,
  bins: number,
): NumericalComparison {
  const std = populationStd(reference);
  const r = sortedCopy(reference);
  const c = sortedCopy(current);
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

/** `np.std(values)` (ddof = 0): two passes with NumPy's pairwise sums. */
export function populationStd(values: Float64Array): number {
  const n = values.length;
  const mean = npSum(values) / n;
  const squares = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = (values[i] as number) - mean;
    squares[i] = d * d;
  }
  return Math.sqrt(npSum(squares) / n);
}

/** `scipy.stats.wasserstein_distance(u, v)` on unsorted finite samples; the inputs are left untouched. */
export function wassersteinDistance(u: Float64Array, v: Float64Array): number {
  return wassersteinSorted(sortedCopy(u), sortedCopy(v));
}

/**
 * The 1-Wasserstein distance ∫|F_u − F_v| of two sorted, non-empty samples, as SciPy's
 * `_cdf_distance(1, u, v)`: over the merged sorted values w_0 ≤ … ≤ w_{N−1}, the terms
 * |F_u(w_i) − F_v(w_i)|·(w_{i+1} − w_i) (zero between tied values) are laid out in merged order
 * and summed with NumPy's pairwise sum, so the result is bit-identical to SciPy's.
 */
export function wassersteinSorted(u: Float64Array, v: Float64Array): number {
  const n1 = u.length;
  const n2 = v.length;
  const terms = new Float64Array(n1 + n2 - 1);
  let i = 0;
  let j = 0;
  while (i < n1 || j < n2) {
    const x =
      j >= n2 || (i < n1 && (u[i] as number) <= (v[j] as number)) ? (u[i] as number) : (v[j] as number);
    while (i < n1 && (u[i] as number) <= x) i++;
    while (j < n2 && (v[j] as number) <= x) j++;
    const position = i + j - 1; // the last merged slot holding x
    if (position < terms.length) {
      const next =
        j >= n2 || (i < n1 && (u[i] as number) <= (v[j] as number)) ? (u[i] as number) : (v[j] as number);
      terms[position] = Math.abs(i / n1 - j / n2) * (next - x);
    }
  }
  return npSum(terms);
}
