import { describe, expect, it } from 'vitest';
import { binnedStats, countSortedIntoBins } from '#drift/binned';
import { categoricalStats, categoryTable } from '#drift/categorical';
import {
  ColumnCounter,
  fitReferenceProfile,
  type NumericalProfile,
  type NumericalStats,
  type ProfileEstimates,
  type ReferenceProfile,
  type WindowCounters,
} from '#drift/index';
import { ksStatisticSorted } from '#drift/ks';
import { compareWindows } from '#drift/lagged';
import { wassersteinSorted } from '#drift/numerical';
import { sortedCopy } from '#drift/sort';
import { prng } from './support.ts';

type Estimated = NumericalStats & ProfileEstimates;

function counters(profile: ReferenceProfile, values: readonly unknown[]): WindowCounters {
  const counter = new ColumnCounter(profile);
  for (const value of values) counter.add(value);
  return counter.counters();
}

function normal(seed: number, n: number, mean: number, sd: number): number[] {
  const r = prng(seed);
  return Array.from({ length: n }, () => mean + sd * r.normal());
}

/** Relative slack for sums of offsets accumulated in doubles (docs/drift.md). */
const slack = (x: number) => 1e-9 * Math.max(1, Math.abs(x));

describe('compareWindows (a window against an earlier window, on the baseline profile)', () => {
  const baseline = normal(1, 5000, 0, 1);
  const profile = fitReferenceProfile(baseline, 'numerical') as NumericalProfile;

  it.each([
    ['the same distribution', 0, 1, 0, 1],
    ['a shifted one', 0, 1, 0.5, 1],
    ['two windows far outside the baseline', 3, 2, 4, 0.5],
    ['a wider and a narrower one', 0, 3, 0, 0.3],
  ])(
    'bounds KS and Wasserstein of the raw windows, and has the exact binned statistics: %s',
    (_, ma, sa, mb, sb) => {
      const a = normal(2, 1500, ma, sa);
      const b = normal(3, 2500, mb, sb);
      const column = compareWindows('x', profile, counters(profile, a), counters(profile, b), {
        method: 'wassersteinNormed',
        threshold: 0.1,
      });
      const stats = column.stats as Estimated;
      const sortedA = sortedCopy(Float64Array.from(a));
      const sortedB = sortedCopy(Float64Array.from(b));

      const d = ksStatisticSorted(sortedA, sortedB);
      expect(d).toBeGreaterThanOrEqual(stats.ks.statistic - slack(d));
      expect(d).toBeLessThanOrEqual(stats.ks.statistic + stats.ks.errorBound + slack(d));
      const w = wassersteinSorted(sortedA, sortedB);
      expect(Math.abs(w - stats.wasserstein)).toBeLessThanOrEqual(stats.wassersteinErrorBound + slack(w));
      expect(stats.wassersteinNormed).toBe(stats.wasserstein / profile.std);

      const inner = profile.bins.edges.slice(1, -1);
      const exact = binnedStats(countSortedIntoBins(sortedA, inner), countSortedIntoBins(sortedB, inner));
      expect({
        psi: stats.psi,
        kl: stats.kl,
        jensenShannon: stats.jensenShannon,
        hellinger: stats.hellinger,
      }).toEqual(exact);
      expect(column.reference.count).toBe(1500);
      expect(column.current.count).toBe(2500);
      expect(column.score).toBe(stats.wassersteinNormed);
      expect(column.drifted).toBe(stats.wassersteinNormed >= 0.1);
    },
  );

  it('bounds KS and Wasserstein on 60 seeded pairs: edges, point masses, heavy tails, outside the range', () => {
    const edges = profile.sketch.edges;
    const kinds = [
      (r: ReturnType<typeof prng>) => edges[Math.floor(r.uniform() * edges.length)] as number,
      (r: ReturnType<typeof prng>) => (r.uniform() < 0.5 ? 0.25 : 0.2500001),
      (r: ReturnType<typeof prng>) => Math.tan(Math.PI * (r.uniform() - 0.5)),
      (r: ReturnType<typeof prng>) => 10 + r.normal(),
      (r: ReturnType<typeof prng>) => r.normal() * 0.5 + (r.uniform() < 0.3 ? -2 : 1),
    ];
    for (let seed = 0; seed < 60; seed++) {
      const r = prng(100 + seed);
      const draw = (kind: number, n: number) =>
        Array.from({ length: n }, () => (kinds[kind] as (x: typeof r) => number)(r));
      const a = draw(seed % kinds.length, 50 + Math.floor(r.uniform() * 500));
      const b = draw(Math.floor(seed / kinds.length) % kinds.length, 50 + Math.floor(r.uniform() * 500));
      const stats = compareWindows('x', profile, counters(profile, a), counters(profile, b), {
        method: 'ks',
        threshold: 0.05,
      }).stats as Estimated;
      const sortedA = sortedCopy(Float64Array.from(a));
      const sortedB = sortedCopy(Float64Array.from(b));
      const d = ksStatisticSorted(sortedA, sortedB);
      expect(d, `seed ${seed}`).toBeGreaterThanOrEqual(stats.ks.statistic - slack(d));
      expect(d, `seed ${seed}`).toBeLessThanOrEqual(stats.ks.statistic + stats.ks.errorBound + slack(d));
      const w = wassersteinSorted(sortedA, sortedB);
      expect(Math.abs(w - stats.wasserstein), `seed ${seed}`).toBeLessThanOrEqual(
        stats.wassersteinErrorBound + slack(w),
      );
    }
  });

  it('does not flag two windows of the same shifted distribution that the baseline flags', () => {
    const a = normal(4, 800, 1, 1);
    const b = normal(5, 800, 1, 1);
    const lagged = compareWindows('x', profile, counters(profile, a), counters(profile, b), {
      method: 'ks',
      threshold: 0.05,
    });
    expect(lagged.drifted).toBe(false);
    const shifted = compareWindows(
      'x',
      profile,
      counters(profile, baseline.slice(0, 800)),
      counters(profile, b),
      {
        method: 'ks',
        threshold: 0.05,
      },
    );
    expect(shifted.drifted).toBe(true);
  });

  it('compares categorical windows exactly on the categories both counted', () => {
    const categorical = fitReferenceProfile(['a', 'a', 'b', 'c'], 'categorical');
    const a = ['a', 'b', 'b', 'd', 'd', null];
    const b = ['a', 'a', 'c', 'd'];
    const column = compareWindows('plan', categorical, counters(categorical, a), counters(categorical, b), {
      method: 'chiSquare',
      threshold: 0.05,
    });
    const exact = categoricalStats(
      categoryTable(
        new Map([
          ['a', 1],
          ['b', 2],
          ['d', 2],
        ]),
        new Map([
          ['a', 2],
          ['c', 1],
          ['d', 1],
        ]),
      ),
    );
    expect(column.stats).toEqual(exact);
    expect(column.reference).toEqual({ count: 5, missingShare: 1 / 6 });
  });

  it('has no statistics when a window holds no values', () => {
    const column = compareWindows('x', profile, { miss: 3 }, counters(profile, [1, 2]), {
      method: 'ks',
      threshold: 0.05,
    });
    expect(column).toMatchObject({ stats: null, score: null, drifted: false });
  });
});
