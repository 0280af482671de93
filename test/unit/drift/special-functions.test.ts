import { describe, expect, it } from 'vitest';
import { frexp, ldexp } from '#drift/dd';
import { kolmogn, kstwoSf } from '#drift/kolmogorov';
import {
  computeOuterProbInsideMethod,
  computeProbOutsideSquare,
  ks2samp,
  ksPValue,
  ksStatisticSorted,
} from '#drift/ks';
import { npSum, quantileSorted, roundHalfEven } from '#drift/numpy';
import { smirnov } from '#drift/smirnov';
import { sortedCopy } from '#drift/sort';
import { close, loadJson, prng } from './support.ts';

interface SpecialFunctions {
  kolmogorov: [number, number, number, number][];
  square: [number, number, number][];
  inside: [number, number, number, number, number][];
  numpySums: { values: number[]; sum: number }[];
  numpyQuantiles: { sorted: number[]; q: number[]; quantile: number[] };
}

const golden = loadJson<SpecialFunctions>('special-functions.json');

describe('scipy.special.smirnov and scipy.stats.kstwo.sf', () => {
  it('match SciPy on every branch of smirnov (double-double up to n = 2000, ratios above)', () => {
    for (const [n, x, expected] of golden.kolmogorov) {
      const rel = n <= 10000 ? 1e-13 : 1e-10;
      expect(
        close(smirnov(n, x), expected, rel, 1e-15),
        `smirnov(${n}, ${x}) = ${smirnov(n, x)} vs ${expected}`,
      ).toBe(true);
    }
  });

  it('match SciPy on every branch of kolmogn (Ruben–Gambino, DMTW, Pomeranz, Pelz–Good, 2·smirnov)', () => {
    for (const [n, x, , expected] of golden.kolmogorov) {
      const rel = n <= 10000 ? 1e-12 : 1e-10;
      expect(
        close(kstwoSf(x, n), expected, rel, 1e-14),
        `kstwo.sf(${x}, ${n}) = ${kstwoSf(x, n)} vs ${expected}`,
      ).toBe(true);
    }
  });

  it('keep the support of kstwo and reject a non-integral n', () => {
    expect(kstwoSf(0.5 / 10, 10)).toBe(1);
    expect(kstwoSf(1, 10)).toBe(0);
    expect(kstwoSf(0.2, 2.5)).toBeNaN();
    expect(kolmogn(10, 0.3, true) + kolmogn(10, 0.3, false)).toBeCloseTo(1, 14);
  });
});

describe('exact two-sample KS probabilities', () => {
  it('_compute_prob_outside_square matches SciPy bit for bit', () => {
    for (const [n, h, expected] of golden.square)
      expect(computeProbOutsideSquare(n, h), `n=${n} h=${h}`).toBe(expected);
  });

  it('_compute_outer_prob_inside_method matches SciPy bit for bit', () => {
    for (const [m, n, g, h, expected] of golden.inside) {
      expect(computeOuterProbInsideMethod(m, n, g, h), `m=${m} n=${n} h=${h}`).toBe(expected);
    }
  });

  it('falls back to the asymptotic distribution where the exact value leaves [0, 1], as SciPy does', () => {
    // n = 5, h = 1: SciPy's exact computation gives 1.0000000000000002; kstwo.sf(0.2, round(2.5) = 2) = 1.
    expect(computeProbOutsideSquare(5, 1)).toBeGreaterThan(1);
    expect(ksPValue(0.2, 5, 5)).toEqual({ statistic: 0.2, pValue: 1 });
    expect(computeProbOutsideSquare(60, 2)).toBeGreaterThan(1);
    expect(ksPValue(2 / 60, 60, 60).pValue).toBe(kstwoSf(2 / 60, 30));
  });

  it('rounds D to h/lcm(n1, n2) in the exact regime and keeps it in the asymptotic one', () => {
    expect(ksPValue(0.3333333333333333, 3, 6).statistic).toBe(6 / 18);
    const d = 0.0123456789;
    expect(ksPValue(d, 20000, 3).statistic).toBe(d);
  });
});

describe('two-sample KS statistic', () => {
  it('is 0 with p-value 1 for identical samples, and 1 for separated ones', () => {
    const a = Float64Array.of(3, 1, 2, 2, 5);
    expect(ks2samp(a, a)).toEqual({ statistic: 0, pValue: 1 });
    const low = Float64Array.of(1, 2, 3);
    const high = Float64Array.of(4, 5, 6, 7);
    expect(ks2samp(low, high).statistic).toBe(1);
    // Exact: 2 / binom(7, 3) paths are as extreme.
    expect(ks2samp(low, high).pValue).toBeCloseTo(2 / 35, 15);
  });

  it('evaluates the ECDFs after ties, like searchsorted(side="right")', () => {
    const a = sortedCopy(Float64Array.of(1, 1, 1, 2));
    const b = sortedCopy(Float64Array.of(1, 2, 2, 2));
    expect(ksStatisticSorted(a, b)).toBe(0.5);
  });
});

describe('NumPy building blocks', () => {
  it('npSum reproduces np.sum (blocked pairwise summation) bit for bit', () => {
    for (const { values, sum } of golden.numpySums)
      expect(npSum(values), `${values.length} values`).toBe(sum);
  });

  it('quantileSorted reproduces np.quantile (method "linear") bit for bit', () => {
    const { sorted, q, quantile } = golden.numpyQuantiles;
    expect(q.map((p) => quantileSorted(sorted, p))).toEqual(quantile);
  });

  it('roundHalfEven rounds ties to even like np.round', () => {
    expect([0.5, 1.5, 2.5, 2.4999, 2.5001, 3.5, 7].map(roundHalfEven)).toEqual([0, 2, 2, 2, 3, 4, 7]);
  });

  it('sortedCopy orders like the built-in sort, for small and radix-sized arrays, leaving the input', () => {
    const random = prng(11);
    const mixed = (n: number) =>
      random.array(n, () => {
        const kind = random.int(0, 9);
        if (kind === 0) return 0;
        if (kind === 1) return -0;
        if (kind === 2) return random.normal() * 1e-310;
        if (kind === 3) return random.pick([Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324]);
        return random.normal() * 10 ** random.int(-20, 20);
      });
    const cases = [
      ...[0, 1, 5, 1000, 20000, 70000].map(mixed),
      new Float64Array(30000).fill(-2.5), // every radix pass skipped
      random.array(30000, () => 1 + random.int(0, 65535) * Number.EPSILON), // only the lowest digit differs
      random.array(30000, () => -random.uniform() * 1e3), // all negative
    ];
    const show = (a: Float64Array) => Array.from(a, (v) => (Object.is(v, -0) ? '-0' : v));
    for (const values of cases) {
      const before = values.slice();
      const actual = sortedCopy(values);
      expect(show(actual)).toEqual(show(values.slice().sort()));
      expect(values).toEqual(before);
    }
  });

  it('frexp and ldexp behave as C does, subnormals included', () => {
    expect(frexp(8)).toEqual([0.5, 4]);
    expect(frexp(-0.75)).toEqual([-0.75, 0]);
    expect(frexp(5e-324)).toEqual([0.5, -1073]);
    expect(frexp(0)).toEqual([0, 0]);
    expect(ldexp(0.5, -1073)).toBe(5e-324);
    expect(ldexp(0.75, 1025)).toBe(0.75 * 2 ** 1025);
    expect(ldexp(1, 2000)).toBe(Number.POSITIVE_INFINITY);
    expect(ldexp(3, -1080)).toBe(0);
  });
});
