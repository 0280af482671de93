import { kstwoSf } from './kolmogorov.ts';
import { clip01, gcd, roundHalfEven } from './numpy.ts';
import { sortedCopy, sortInPlace } from './sort.ts';

/** The two-sided two-sample Kolmogorov–Smirnov test: D and its p-value. */
export interface KsResult {
  statistic: number;
  pValue: number;
}

/** SciPy's `MAX_AUTO_N`: `method="auto"` is exact when max(n1, n2) ≤ this. */
export const KS_MAX_EXACT_N = 10000;

/**
 * `scipy.stats.ks_2samp(a, b)` (two-sided, `method="auto"`) on unsorted finite samples; the
 * inputs are left untouched.
 */
export function ks2samp(a: Float64Array, b: Float64Array): KsResult {
  const scratch = new Float64Array(Math.max(a.length, b.length));
  return ks2sampSorted(sortedCopy(a, scratch), sortedCopy(b, scratch));
}

/**
 * As {@link ks2samp}, sorting the samples in place instead of copying them: for callers that own
 * the arrays (their order is lost, their values kept). The two sorts share one scratch buffer.
 */
export function ks2sampInPlace(a: Float64Array, b: Float64Array): KsResult {
  const scratch = new Float64Array(Math.max(a.length, b.length));
  return ks2sampSorted(sortInPlace(a, scratch), sortInPlace(b, scratch));
}

/** As {@link ks2samp}, on samples already sorted ascending. */
export function ks2sampSorted(a: Float64Array, b: Float64Array): KsResult {
  return ksPValue(ksStatisticSorted(a, b), a.length, b.length);
}

/**
 * D = sup|F_a − F_b| of two sorted, non-empty samples, in one merge pass. The ECDF difference
 * i/n1 − j/n2 is evaluated after each distinct value, exactly as SciPy's `cdf1 - cdf2` (with
 * `searchsorted(side="right")`), and D is chosen between the largest positive and negative
 * differences as `ks_2samp` does, so D is bit-identical to SciPy's.
 */
export function ksStatisticSorted(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let maxS = 0;
  let minS = 0;
  while (i < n1 || j < n2) {
    const x =
      j >= n2 || (i < n1 && (a[i] as number) <= (b[j] as number)) ? (a[i] as number) : (b[j] as number);
    while (i < n1 && (a[i] as number) <= x) i++;
    while (j < n2 && (b[j] as number) <= x) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxS) maxS = diff;
    else if (diff < minS) minS = diff;
  }
  const negative = clip01(-minS);
  return Math.max(negative, maxS);
}

/**
 * The p-value of `ks_2samp(method="auto", alternative="two-sided")` for a statistic d of
 * samples of sizes n1 and n2, with SciPy 1.10's rules: exact when max(n1, n2) ≤ 10000
 * (`_attempt_exact_2kssamp`, which also rounds d to h/lcm(n1, n2)), falling back to the
 * asymptotic distribution where the exact computation leaves [0, 1]; otherwise
 * `kstwo.sf(d, round(n1·n2/(n1+n2)))`. The returned statistic is the one SciPy reports.
 */
export function ksPValue(d: number, n1: number, n2: number): KsResult {
  let statistic = d;
  if (Math.max(n1, n2) <= KS_MAX_EXACT_N) {
    const exact = attemptExact(n1, n2, d);
    if (exact.pValue !== undefined) return { statistic: exact.statistic, pValue: exact.pValue };
    statistic = exact.statistic;
  }
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const en = (m * n) / (m + n);
  return { statistic, pValue: clip01(kstwoSf(statistic, roundHalfEven(en))) };
}

/** `_attempt_exact_2kssamp` for the two-sided alternative; no p-value when SciPy falls back. */
function attemptExact(n1: number, n2: number, d: number): { statistic: number; pValue?: number } {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  const statistic = (h * 1.0) / lcm;
  if (h === 0) return { statistic, pValue: 1.0 };
  const prob = n1 === n2 ? computeProbOutsideSquare(n1, h) : computeOuterProbInsideMethod(n1, n2, g, h);
  if (!(prob >= 0 && prob <= 1)) return { statistic };
  return { statistic, pValue: prob };
}

/**
 * Pr(D_{n,n} ≥ h/n), the proportion of lattice paths that leave the band x − y = ±h
 * (`_compute_prob_outside_square` in `scipy/stats/_stats_py.py`):
 * 2·(binom(2n, n−h) − binom(2n, n−2h) + …)/binom(2n, n), evaluated as a Horner-like product.
 */
export function computeProbOutsideSquare(n: number, h: number): number {
  let P = 0.0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1.0;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1.0 - P);
  }
  return 2 * P;
}

/**
 * Pr(D_{m,n} ≥ h/lcm(m, n)) for m ≠ n by Hodges' inside method, with Viehmann's (2021)
 * recursion that carries 1 − p directly (`_compute_outer_prob_inside_method` in
 * `scipy/stats/_stats_pythran.py`): one sliding column of the lattice at a time.
 */
export function computeOuterProbInsideMethod(m0: number, n0: number, g: number, h: number): number {
  // The probability is symmetrical in m, n; the computation below uses m >= n.
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;

  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  // A vector long enough to hold the largest window needed.
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    // The sliding window of the next column.
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1.0;
    let val = minj === 0 ? 0.0 : 1.0;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = ((A[jj + minj - lastminj] as number) * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) {
      // Set some carried-over elements to 1.
      A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
    }
  }
  return A[maxj - minj - 1] as number;
}
