import { npSum, quantileSorted, searchLeft, uniqueSorted } from './numpy.ts';

/** The distances between two binned distributions (docs/drift.md, "Binned statistics"). */
export interface BinnedStats {
  psi: number;
  kl: number;
  jensenShannon: number;
  hellinger: number;
}

/** Drift bins of a numerical column unless asked otherwise. */
export const DEFAULT_BINS = 10;

/** Shares of 0 become this before `psi` and `kl` (no renormalisation after it). */
export const ZERO_SHARE_REPLACEMENT = 0.0001;

/**
 * The drift bin edges fitted on a sorted, non-empty reference:
 * `np.unique(np.quantile(r, np.arange(B + 1) / B))`. Values fall in bin
 * `searchsorted(edges[1:-1], v, side="right")`, so the first and last bins are open-ended.
 */
export function quantileEdges(sortedReference: Float64Array, bins: number): number[] {
  return uniqueQuantiles(
    sortedReference,
    Array.from({ length: bins + 1 }, (_, i) => i / bins),
  );
}

/** `np.unique(np.quantile(sorted, probabilities))`. */
export function uniqueQuantiles(sorted: Float64Array, probabilities: readonly number[]): number[] {
  return uniqueSorted(probabilities.map((q) => quantileSorted(sorted, q)).sort((a, b) => a - b));
}

/**
 * {@link quantileEdges} of an unsorted, non-empty reference, as `np.quantile` computes them:
 * by selecting the order statistics the quantiles need (in place, in `work`, which must hold
 * a copy of the reference and is left partially ordered), not by sorting the whole sample.
 */
export function quantileEdgesBySelection(work: Float64Array, bins: number): number[] {
  return selectQuantileEdges(work, bins).edges;
}

/** {@link quantileEdgesBySelection}, and the ranks it put in place (ascending). */
function selectQuantileEdges(work: Float64Array, bins: number): { edges: number[]; ranks: number[] } {
  const n = work.length;
  const wanted = new Set<number>();
  for (let i = 0; i <= bins; i++) {
    const virtualIndex = (n - 1) * (i / bins);
    const previous = Math.min(Math.floor(virtualIndex), n - 1);
    wanted.add(previous);
    if (previous + 1 < n) wanted.add(previous + 1);
  }
  const ranks = [...wanted].sort((x, y) => x - y);
  selectRanks(work, ranks, 0, ranks.length, 0, n - 1, 2 * Math.ceil(Math.log2(n + 1)));
  // Every rank the interpolation reads now holds its order statistic, as in a sorted copy.
  const probe = { length: n } as { length: number; [index: number]: number };
  for (const rank of ranks) probe[rank] = work[rank] as number;
  const edges = uniqueSorted(
    Array.from({ length: bins + 1 }, (_, i) => quantileSorted(probe, i / bins)).sort((x, y) => x - y),
  );
  return { edges, ranks };
}

/**
 * How many values of the sample `work` holds (partitioned by {@link selectQuantileEdges} at
 * `ranks`) are below `edge`: k + 1 when the order statistics k and k + 1 are in place and
 * work[k] < edge ≤ work[k + 1] (every value before k is at most work[k], every value after
 * k + 1 at least work[k + 1]); otherwise, as where ties meet the edge, counted one by one.
 */
function countBelow(work: Float64Array, ranks: readonly number[], edge: number): number {
  for (let i = 0; i + 1 < ranks.length; i++) {
    const k = ranks[i] as number;
    if (ranks[i + 1] === k + 1 && (work[k] as number) < edge && edge <= (work[k + 1] as number)) return k + 1;
  }
  let below = 0;
  for (let i = 0; i < work.length; i++) if ((work[i] as number) < edge) below++;
  return below;
}

/**
 * Moves the order statistics `ranks[first..last)` (ascending) of `values[left..right]` into
 * place, as `np.partition` with several kth does: quickselect (median of three, Hoare
 * partition) that recurses only into the parts holding a wanted rank. A part that does not
 * shrink within `budget` partitions is sorted instead, so the worst case stays O(n log n).
 */
function selectRanks(
  values: Float64Array,
  ranks: readonly number[],
  first: number,
  last: number,
  left: number,
  right: number,
  budget: number,
): void {
  if (first >= last || right <= left) return;
  if (budget === 0 || right - left < 16) {
    values.subarray(left, right + 1).sort();
    return;
  }
  const a = values[left] as number;
  const b = values[(left + right) >>> 1] as number;
  const c = values[right] as number;
  const pivot = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c)); // the median of three
  let i = left;
  let j = right;
  while (i <= j) {
    while ((values[i] as number) < pivot) i++;
    while ((values[j] as number) > pivot) j--;
    if (i <= j) {
      const t = values[i] as number;
      values[i] = values[j] as number;
      values[j] = t;
      i++;
      j--;
    }
  }
  // Now values[left..j] ≤ pivot, values[j+1..i-1] = pivot, values[i..right] ≥ pivot.
  let split = first;
  while (split < last && (ranks[split] as number) <= j) split++;
  let after = split;
  while (after < last && (ranks[after] as number) < i) after++;
  selectRanks(values, ranks, first, split, left, j, budget - 1);
  selectRanks(values, ranks, after, last, i, right, budget - 1);
}

/**
 * The count of an unsorted sample in each bin delimited by ascending inner edges: bin k holds
 * the values v with `searchsorted(innerEdges, v, side="right") == k`.
 */
export function countIntoBins(values: Float64Array, innerEdges: readonly number[]): number[] {
  const edges = Float64Array.from(innerEdges);
  const m = edges.length;
  const counts = new Float64Array(m + 1);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    let lo = 0;
    let hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((edges[mid] as number) <= v) lo = mid + 1;
      else hi = mid;
    }
    counts[lo] = (counts[lo] as number) + 1;
  }
  return Array.from(counts);
}

/**
 * The binned statistics of two unsorted, non-empty samples over the reference's quantile bins
 * (docs/drift.md, "Numerical columns"), for when nothing else needs them sorted: one copy of
 * the reference, partitioned at the quantiles (which gives its counts), then one pass over the
 * current sample. Neither input is modified.
 */
export function binnedComparison(
  reference: Float64Array,
  current: Float64Array,
  bins: number,
): BinnedComparison {
  return binnedComparisonInPlace(reference.slice(), current, bins);
}

/**
 * As {@link binnedComparison}, partitioning the reference in place (its order is lost, its
 * values kept) instead of a copy: for callers that own it. The current sample is only read.
 */
export function binnedComparisonInPlace(
  reference: Float64Array,
  current: Float64Array,
  bins: number,
): BinnedComparison {
  const { edges, ranks } = selectQuantileEdges(reference, bins);
  const inner = edges.slice(1, -1);
  // The selection has already split the reference at the quantiles: its counts come from ranks.
  const referenceCounts: number[] = [];
  let previous = 0;
  for (const edge of inner) {
    const below = countBelow(reference, ranks, edge);
    referenceCounts.push(below - previous);
    previous = below;
  }
  referenceCounts.push(reference.length - previous);
  const currentCounts = countIntoBins(current, inner);
  return { edges, referenceCounts, currentCounts, stats: binnedStats(referenceCounts, currentCounts) };
}

export interface BinnedComparison {
  edges: number[];
  referenceCounts: number[];
  currentCounts: number[];
  stats: BinnedStats;
}

/** The count of a sorted sample in each bin delimited by ascending inner edges. */
export function countSortedIntoBins(sorted: Float64Array, innerEdges: readonly number[]): number[] {
  const counts: number[] = [];
  let below = 0;
  for (const edge of innerEdges) {
    const atOrAbove = searchLeft(sorted, edge, below);
    counts.push(atOrAbove - below);
    below = atOrAbove;
  }
  counts.push(sorted.length - below);
  return counts;
}

/**
 * PSI, KL, Jensen–Shannon and Hellinger between a reference and a current histogram over the
 * same bins (both with at least one value). Shares are count / total.
 *
 * - psi = Σ (q−p)·ln(q/p) and kl = Σ p·ln(p/q), after replacing shares of 0 by 0.0001;
 * - jensenShannon = `scipy.spatial.distance.jensenshannon(p, q, base=2)`, which renormalises
 *   p and q by their sums; where rounding makes its sum of relative entropies negative (SciPy
 *   would return NaN) the distance is 0;
 * - hellinger = sqrt(½ Σ (√p − √q)²).
 *
 * Sums are NumPy's pairwise sums, in bin order, so results match NumPy to the last bit or two.
 */
export function binnedStats(
  referenceCounts: readonly number[],
  currentCounts: readonly number[],
): BinnedStats {
  const p = shares(referenceCounts);
  const q = shares(currentCounts);
  const k = p.length;
  const psiTerms = new Float64Array(k);
  const klTerms = new Float64Array(k);
  const hellingerTerms = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const pi = p[i] as number;
    const qi = q[i] as number;
    const pr = pi === 0 ? ZERO_SHARE_REPLACEMENT : pi;
    const qr = qi === 0 ? ZERO_SHARE_REPLACEMENT : qi;
    psiTerms[i] = (qr - pr) * Math.log(qr / pr);
    klTerms[i] = pr * Math.log(pr / qr);
    const d = Math.sqrt(pi) - Math.sqrt(qi);
    hellingerTerms[i] = d * d;
  }
  return {
    psi: npSum(psiTerms),
    kl: npSum(klTerms),
    jensenShannon: jensenShannon(p, q),
    hellinger: Math.sqrt(0.5 * npSum(hellingerTerms)),
  };
}

function shares(counts: readonly number[]): Float64Array {
  let total = 0;
  for (const c of counts) total += c;
  const out = new Float64Array(counts.length);
  for (let i = 0; i < counts.length; i++) out[i] = (counts[i] as number) / total;
  return out;
}

/** `scipy.spatial.distance.jensenshannon(p, q, base=2)`. */
export function jensenShannon(p: Float64Array, q: Float64Array): number {
  const pSum = npSum(p);
  const qSum = npSum(q);
  const left = new Float64Array(p.length);
  const right = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const pi = (p[i] as number) / pSum;
    const qi = (q[i] as number) / qSum;
    const m = (pi + qi) / 2.0;
    left[i] = relEntr(pi, m);
    right[i] = relEntr(qi, m);
  }
  const js = (npSum(left) + npSum(right)) / Math.log(2);
  return js > 0 ? Math.sqrt(js / 2.0) : 0;
}

/** `scipy.special.rel_entr(x, y)`. */
function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Infinity;
}
