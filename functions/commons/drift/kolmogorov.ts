import { ldexp } from './dd.ts';
import { clip01, npSum } from './numpy.ts';
import { smirnov } from './smirnov.ts';

/**
 * The distribution of the two-sided one-sample Kolmogorov–Smirnov statistic D_n, as SciPy 1.10
 * computes it in `scipy/stats/_ksstats.py` (`_kolmogn` and its helpers, after Simard and
 * L'Ecuyer 2011). `ks_2samp` uses its survival function, through `kstwo.sf`, for the
 * asymptotic p-value.
 */

/**
 * `scipy.stats.kstwo.sf(x, n)`: Pr(D_n ≥ x). Like `rv_continuous.sf`, 1 at or below the lower
 * end of the support (0.5/n) and 0 at or above the upper end (1).
 */
export function kstwoSf(x: number, n: number): number {
  if (!(n >= 1 && Number.isInteger(n)) || Number.isNaN(x)) return Number.NaN;
  if (x <= 0.5 / n) return 1;
  if (x >= 1) return 0;
  return kolmogn(n, x, false);
}

const E128 = 128;
const EP128 = 2 ** E128;
const EM128 = 2 ** -E128;
const SQRT2PI = Math.sqrt(2 * Math.PI);
const LOG_2PI = Math.log(2 * Math.PI);
const MIN_LOG = -708;
const SQRT3 = Math.sqrt(3);
const PI_SQUARED = Math.PI ** 2;
const PI_FOUR = Math.PI ** 4;
const PI_SIX = Math.PI ** 6;
/** Stirling coefficients B_{2j}/(2j)/(2j-1), j = 8..1 (`_STIRLING_COEFFS`, as doubles). */
const STIRLING_COEFFS = [
  -0.029550653594771242, 0.00641025641025641, -0.0019175269175269176, 0.0008417508417508417,
  -0.0005952380952380953, 0.0007936507936507937, -0.002777777777777778, 0.08333333333333333,
];

/** `_kolmogn`: the CDF (or, with cdf = false, the SF) of D_n at x. */
export function kolmogn(n: number, x: number, cdf = true): number {
  const select = (cdfProb: number, sfProb: number): number => clip01(cdf ? cdfProb : sfProb);
  if (!Number.isInteger(n) || n <= 0) return Number.NaN;
  if (x >= 1.0) return select(1.0, 0.0);
  if (x <= 0.0) return select(0.0, 1.0);
  const t = n * x;
  if (t <= 1.0) {
    // Ruben–Gambino: 1/2n <= x <= 1/n.
    if (t <= 0.5) return select(0.0, 1.0);
    let prob: number;
    if (n <= 140) {
      prob = 1;
      for (let i = 1; i <= n; i++) prob *= i * (1.0 / n) * (2 * t - 1);
    } else {
      prob = Math.exp(logNFactorialDivNPowN(n) + n * Math.log(2 * t - 1));
    }
    return select(prob, 1.0 - prob);
  }
  if (t >= n - 1) {
    // Ruben–Gambino.
    const prob = 2 * (1.0 - x) ** n;
    return select(1 - prob, prob);
  }
  if (x >= 0.5) {
    // Exact: 2 * smirnov.
    const prob = 2 * smirnov(n, x);
    return select(1.0 - prob, prob);
  }

  const nxSquared = t * x;
  if (n <= 140) {
    if (nxSquared <= 0.754693) {
      const prob = kolmognDMTW(n, x);
      return select(prob, 1.0 - prob);
    }
    if (nxSquared <= 4) {
      const prob = kolmognPomeranz(n, x);
      return select(prob, 1.0 - prob);
    }
    // The Miller approximation of 2 * smirnov.
    const prob = 2 * smirnov(n, x);
    return select(1.0 - prob, prob);
  }

  // CDF and SF have different cut-offs on n·x².
  if (!cdf) {
    if (nxSquared >= 370.0) return 0.0;
    if (nxSquared >= 2.2) return clip01(2 * smirnov(n, x));
    // Fall through and compute the SF as 1 - CDF.
  }
  let cdfProb: number;
  if (nxSquared >= 18.0) cdfProb = 1.0;
  else if (n <= 100000 && n * x ** 1.5 <= 1.4) cdfProb = kolmognDMTW(n, x);
  else cdfProb = kolmognPelzGood(n, x);
  return select(cdfProb, 1.0 - cdfProb);
}

/** log(n! / n^n) by Stirling's series with n·log(n) removed up front (`_log_nfactorial_div_n_pow_n`). */
function logNFactorialDivNPowN(n: number): number {
  const rn = 1.0 / n;
  let poly = 0;
  for (const c of STIRLING_COEFFS) poly = poly * (rn / n) + c;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * poly;
}

/**
 * Pr(D_n ≤ d) by the Durbin matrix algorithm as Marsaglia, Tsang and Wang (2003) evaluate it
 * (`_kolmogn_DMTW`): the k-th diagonal entry of H^n, scaled by n!/n^n.
 */
function kolmognDMTW(n: number, d: number): number {
  if (d >= 1.0) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;

  // v is the first column (and, reversed, the last row) of H; w holds 1/j!.
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1.0;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1.0 - h ** j) * fac;
  }
  const tt = Math.max(2 * h - 1.0, 0) ** m - 2 * h ** m;
  v[m - 1] = (1.0 + tt) * fac;

  let H: Float64Array = new Float64Array(m * m);
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - i + 1] as number;
  }
  for (let r = 0; r < m; r++) H[r * m] = v[r] as number;
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c] as number;

  // Only the entry (k−1, k−1) of H^n is wanted, and the powers of H multiply the running product
  // on the right: row k−1 of the product depends on row k−1 alone, so only that row is kept
  // (each entry summed over l in the same order as the full product, so the same doubles).
  let row = new Float64Array(m);
  row[k - 1] = 1;
  let nextRow = new Float64Array(m);
  let spare: Float64Array = new Float64Array(m * m);
  let nn = n;
  let expnt = 0;
  let Hexpnt = 0;
  while (nn > 0) {
    if (nn % 2) {
      vecmat(row, H, m, nextRow);
      [row, nextRow] = [nextRow, row];
      expnt += Hexpnt;
    }
    nn = Math.floor(nn / 2);
    // The last square would not be used.
    if (nn === 0) break;
    matmul(H, H, m, spare);
    [H, spare] = [spare, H];
    Hexpnt *= 2;
    if (Math.abs(H[(k - 1) * m + k - 1] as number) > EP128) {
      for (let i = 0; i < H.length; i++) H[i] = (H[i] as number) / EP128;
      Hexpnt += E128;
    }
  }

  let p = row[k - 1] as number;
  // Multiply by n!/n^n.
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= EP128;
      expnt -= E128;
    }
  }
  if (expnt !== 0) p = ldexp(p, expnt);
  return clip01(p);
}

/** out = a·b for m×m matrices in row-major order; `out` is neither `a` nor `b`. */
function matmul(a: Float64Array, b: Float64Array, m: number, out: Float64Array): void {
  out.fill(0);
  for (let i = 0; i < m; i++) {
    const row = i * m;
    for (let l = 0; l < m; l++) {
      const ail = a[row + l] as number;
      if (ail === 0) continue;
      const from = l * m;
      for (let j = 0; j < m; j++) out[row + j] = (out[row + j] as number) + ail * (b[from + j] as number);
    }
  }
}

/** out = row·b, the row vector times an m×m matrix, summed as {@link matmul} sums a row. */
function vecmat(row: Float64Array, b: Float64Array, m: number, out: Float64Array): void {
  out.fill(0);
  for (let l = 0; l < m; l++) {
    const value = row[l] as number;
    if (value === 0) continue;
    const from = l * m;
    for (let j = 0; j < m; j++) out[j] = (out[j] as number) + value * (b[from + j] as number);
  }
}

/** The interval of non-zero entries of row i (`_pomeranz_compute_j1j2`). */
function pomeranzJ1J2(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const ip1div2 = Math.floor((i + 1) / 2);
    const ip1mod2 = (i + 1) % 2;
    if (ip1mod2 === 0) {
      // i is odd
      if (ip1div2 === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = ip1div2 - 1 - ll - roundf - 1;
        j2 = ip1div2 + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = ip1div2 - 1 - ll - 1;
      j2 = ip1div2 + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** Pr(D_n ≤ x) by the Pomeranz (1974) recursion (`_kolmogn_Pomeranz`). */
function kolmognPomeranz(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = 1.0 * (t - ll);
  const g = Math.min(f, 1.0 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  // (g/n)^m/m!, (2g/n)^m/m!, ((1-2g)/n)^m/m!: Poisson probabilities without their normalisation.
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = 1.0;
  twogpower[0] = 1.0;
  onem2gpower[0] = 1.0;
  let expnt = 0;
  const gOverN = g / n;
  const twoGOverN = (2 * g) / n;
  const oneMinusTwoGOverN = (1 - 2 * g) / n;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = ((gpower[m - 1] as number) * gOverN) / m;
    twogpower[m] = ((twogpower[m - 1] as number) * twoGOverN) / m;
    onem2gpower[m] = ((onem2gpower[m - 1] as number) * oneMinusTwoGOverN) / m;
  }

  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let [j1, j2] = pomeranzJ1J2(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0.0);
    [j1, j2] = pomeranzJ1J2(i, n, ll, ceilf, roundf);
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      const conv = convolve(V0.subarray(k1 - V0s, k1 - V0s + ln2), pwrs.subarray(0, ln2));
      const convStart = j1 - k1;
      const convLen = j2 - j1 + 1;
      V1.set(conv.subarray(convStart, convStart + convLen));
      // Scale to avoid underflow.
      let max = -Infinity;
      for (const value of V1) if (value > max) max = value;
      if (max > 0 && max < EM128) {
        for (let j = 0; j < V1.length; j++) V1[j] = (V1[j] as number) * EP128;
        expnt -= E128;
      }
      V1s = V0s + j1 - k1;
    }
  }

  // Multiply by n!.
  let ans = V1[n - V1s] as number;
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > EP128) {
      ans *= EM128;
      expnt += E128;
    }
    ans *= m;
  }
  if (expnt !== 0) ans = ldexp(ans, expnt);
  return clip01(ans);
}

/** `np.convolve(a, b)` in "full" mode. */
function convolve(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length - 1);
  for (let i = 0; i < a.length; i++) {
    const ai = a[i] as number;
    for (let j = 0; j < b.length; j++) out[i + j] = (out[i + j] as number) + ai * (b[j] as number);
  }
  return out;
}

/**
 * The Pelz–Good (1976) approximation to Pr(D_n ≤ x): the Li-Chien/Korolyuk expansion
 * K0(z) + K1(z)/√n + K2(z)/n + K3(z)/n^1.5 with z = x√n, each term transformed for small z
 * (`_kolmogn_PelzGood`).
 */
function kolmognPelzGood(n: number, x: number): number {
  if (x <= 0.0) return 0;
  if (x >= 1.0) return 1;
  const z = Math.sqrt(n) * x;
  const zsquared = z * z;
  const zthree = z ** 3;
  const zfour = z ** 4;
  const zsix = z ** 6;

  const qlog = -PI_SQUARED / 8 / zsquared;
  if (qlog < MIN_LOG) return 0;
  let q = Math.exp(qlog);

  // Coefficients of the terms of the sums for K1, K2 and K3.
  const k1a = -zsquared;
  const k1b = PI_SQUARED / 4;
  const k2a = 6 * zsix + 2 * zfour;
  const k2b = ((2 * zfour - 5 * zsquared) * PI_SQUARED) / 4;
  const k2c = (PI_FOUR * (1 - 2 * zsquared)) / 16;
  const k3d = (PI_SIX * (5 - 30 * zsquared)) / 64;
  const k3c = (PI_FOUR * (-60 * zsquared + 212 * zfour)) / 16;
  const k3b = (PI_SQUARED * (135 * zfour - 96 * zsix)) / 4;
  const k3a = -30 * zsix - 90 * z ** 8;

  const K = [0, 0, 0, 0];
  // A Horner scheme for sum c_i q^(i^2), over odd integers.
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const msquared = m ** 2;
    const mfour = m ** 4;
    const msix = m ** 6;
    const qpower = q ** (8 * k);
    const coeffs = [
      1.0,
      k1a + k1b * msquared,
      k2a + k2b * msquared + k2c * mfour,
      k3a + k3b * msquared + k3c * mfour + k3d * msix,
    ];
    for (let i = 0; i < 4; i++) K[i] = (K[i] as number) * qpower + (coeffs[i] as number);
  }
  const divisors = [z, 6 * zfour, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = ((K[i] as number) * q * SQRT2PI) / (divisors[i] as number);

  // The other sum, over all integers k: K2 gets (pi^2 k^2) q^(k^2), K3 (3pi^2 k^2 z^2 - pi^4 k^4) q^(k^2).
  q = Math.exp(-PI_SQUARED / 2 / zsquared);
  const sqrt3z = SQRT3 * z;
  const k2terms = new Float64Array(maxk);
  const k3terms = new Float64Array(maxk);
  for (let i = 0; i < maxk; i++) {
    const k = maxk - i;
    const ksquared = k ** 2;
    const kspi = Math.PI * k;
    const qpwer = q ** ksquared;
    k2terms[i] = ksquared * qpwer;
    k3terms[i] = (sqrt3z + kspi) * (sqrt3z - kspi) * ksquared * qpwer;
  }
  K[2] = (K[2] as number) + npSum(k2terms) * ((PI_SQUARED * SQRT2PI) / (-36 * zthree));
  K[3] = (K[3] as number) + npSum(k3terms) * ((PI_SQUARED * SQRT2PI) / (216 * zsix));
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += (K[i] as number) / (n * 1.0) ** (i / 2.0);
  return sum;
}
