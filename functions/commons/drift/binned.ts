import { npSum, quantileSorted, searchLeft, uniqueSorted } from './numpy.ts';

/** The distances between two binned distributions (docs/drift.md, "Binned statistics"). */
export interface BinnedStats {
  psi: number;
  kl: number;
  jensenShannon: number;
  hellinger: number;
}

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
