import { describe, expect, it } from 'vitest';
import {
  binnedComparison,
  binnedComparisonInPlace,
  binnedStats,
  countSortedIntoBins,
  quantileEdges,
} from '#drift/binned';
import { ks2samp, ks2sampInPlace } from '#drift/ks';
import {
  compareNumerical,
  compareNumericalInPlace,
  populationStd,
  wassersteinDistance,
  wassersteinInPlace,
} from '#drift/numerical';
import { npSum, StreamingSum } from '#drift/numpy';
import { sortedCopy, sortInPlace } from '#drift/sort';
import { prng } from './support.ts';

/** Samples long enough for the radix sort and several NumPy reduction blocks, with ties. */
function samples(seed: number, n: number): Float64Array {
  const random = prng(seed);
  return random.array(n, () => (random.uniform() < 0.2 ? random.int(-3, 3) : random.normal()));
}

describe('memory-lean drift statistics give the same bits', () => {
  it('sums a stream as np.sum sums the whole array', () => {
    const values = samples(1, 50_000);
    for (const length of [0, 7, 8192, 8193, 50_000]) {
      const stream = new StreamingSum();
      for (const v of values.subarray(0, length)) stream.add(v);
      expect(stream.sum()).toBe(npSum(values.subarray(0, length)));
    }
  });

  it('computes np.std and Wasserstein without full-length temporaries, bit for bit', () => {
    const u = samples(2, 20_000);
    const v = samples(3, 17_001);
    const squares = Float64Array.from(u, (x) => (x - npSum(u) / u.length) ** 2);
    expect(populationStd(u)).toBe(Math.sqrt(npSum(squares) / u.length));

    // SciPy's layout of the terms, materialised, against the streamed sum.
    const a = sortedCopy(u);
    const b = sortedCopy(v);
    const merged = sortedCopy(Float64Array.from([...a, ...b]));
    const terms = new Float64Array(merged.length - 1);
    let i = 0;
    let j = 0;
    for (let k = 0; k < terms.length; k++) {
      const x = merged[k] as number;
      while (i < a.length && (a[i] as number) <= x) i++;
      while (j < b.length && (b[j] as number) <= x) j++;
      terms[k] = Math.abs(i / a.length - j / b.length) * ((merged[k + 1] as number) - x);
    }
    expect(wassersteinDistance(u, v)).toBe(npSum(terms));
  }, 30_000);

  it('sorts with a shared scratch buffer exactly as the engine sorts', () => {
    const values = samples(4, 20_000);
    const scratch = new Float64Array(20_000);
    expect(sortInPlace(values.slice(), scratch)).toEqual(values.slice().sort());
    expect(sortedCopy(values.subarray(0, 17_000), scratch)).toEqual(
      values.subarray(0, 17_000).slice().sort(),
    );
    expect(() => sortInPlace(values, new Float64Array(10))).toThrow(RangeError);
  });

  it('bins unsorted samples by selection as the sorted path bins them', () => {
    for (const [seed, n, bins] of [
      [5, 20_000, 10],
      [6, 1_001, 7],
      [7, 3, 10],
    ] as const) {
      const reference = samples(seed, n);
      const current = samples(seed + 100, n + 11);
      const sorted = sortedCopy(reference);
      const edges = quantileEdges(sorted, bins);
      const inner = edges.slice(1, -1);
      const referenceCounts = countSortedIntoBins(sorted, inner);
      const currentCounts = countSortedIntoBins(sortedCopy(current), inner);
      expect(binnedComparison(reference, current, bins)).toEqual({
        edges,
        referenceCounts,
        currentCounts,
        stats: binnedStats(referenceCounts, currentCounts),
      });
      expect(compareNumerical(reference, current, bins).edges).toEqual(edges);
    }
  }, 30_000);

  it('sorts owned samples in place to the same results, keeping their values', () => {
    const reference = samples(8, 20_000);
    const current = samples(9, 17_003);
    const copy = (x: Float64Array) => x.slice();
    const unchanged = (x: Float64Array, original: Float64Array) =>
      expect(x.slice().sort()).toEqual(original.slice().sort());

    const [r1, c1] = [copy(reference), copy(current)];
    expect(ks2sampInPlace(r1, c1)).toEqual(ks2samp(reference, current));
    unchanged(r1, reference);
    unchanged(c1, current);

    const [r2, c2] = [copy(reference), copy(current)];
    expect(wassersteinInPlace(r2, c2)).toBe(wassersteinDistance(reference, current));
    unchanged(r2, reference);

    const [r3, c3] = [copy(reference), copy(current)];
    expect(binnedComparisonInPlace(r3, c3, 10)).toEqual(binnedComparison(reference, current, 10));
    expect(c3).toEqual(current); // only the reference is partitioned
    unchanged(r3, reference);

    // The standard deviation is taken before the sort: identical bits, Wasserstein normed included.
    const [r4, c4] = [copy(reference), copy(current)];
    expect(compareNumericalInPlace(r4, c4, 10)).toEqual(compareNumerical(reference, current, 10));
    unchanged(c4, current);
    // The copying variants leave their inputs as they were.
    expect(reference).toEqual(samples(8, 20_000));
    expect(current).toEqual(samples(9, 17_003));
  }, 30_000);
});
