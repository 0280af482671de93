import { describe, expect, it } from 'vitest';
import { analyzeDatasets, type CategoricalStats, type NumericalStats } from '#drift/index';
import { compareNumerical } from '#drift/numerical';
import { isMissing, numericValue } from '#drift/values';
import { close, decodeCell, type ExpectedColumn, loadFixtures, toRows } from './support.ts';

/**
 * Every statistic against SciPy 1.10 / NumPy, from the committed golden fixtures: statistics to
 * 1e-9 relative (1e-12 absolute near zero), KS p-values to 1e-9 absolute where SciPy used the
 * exact distribution and 1e-4 where it used the asymptotic one, chi-square p-values to 1e-9.
 */
const fixtures = loadFixtures();

function expectClose(actual: number | undefined, expected: number, what: string, rel = 1e-9, abs = 1e-12) {
  expect(actual, what).toBeTypeOf('number');
  expect(close(actual as number, expected, rel, abs), `${what}: ${actual} vs SciPy ${expected}`).toBe(true);
}

describe.each(fixtures.map((f) => [f.name, f] as const))('golden fixture %s', (_, fixture) => {
  const { report, charts } = analyzeDatasets(
    toRows(fixture.reference),
    toRows(fixture.current),
    fixture.options,
  );

  it('reports every column, in order, with its type, counts, method and verdict', () => {
    expect(report.columns.map((c) => c.name)).toEqual(fixture.expected.columns.map((c) => c.name));
    expect(charts.map((c) => c.column)).toEqual(fixture.expected.columns.map((c) => c.name));
    for (const [i, want] of fixture.expected.columns.entries()) {
      const got = report.columns[i];
      expect(got?.type, want.name).toBe(want.type);
      expect(got?.method, want.name).toBe(want.method);
      expect(got?.threshold, want.name).toBe(want.threshold);
      expect(got?.drifted, want.name).toBe(want.drifted);
      expect(got?.reference.count, want.name).toBe(want.reference.count);
      expect(got?.current.count, want.name).toBe(want.current.count);
      expectClose(got?.reference.missingShare, want.reference.missingShare, `${want.name} missing share`);
      expectClose(got?.current.missingShare, want.current.missingShare, `${want.name} missing share`);
      if (want.stats === null) {
        expect(got?.stats).toBeNull();
        expect(got?.score).toBeNull();
        expect(got?.reason).toMatch(/no non-missing values/);
      } else {
        const pValue = want.method === 'ks' && want.details?.ksRegime !== 'exact' ? 1e-4 : 0;
        if (pValue)
          expect(Math.abs((got?.score as number) - (want.score as number))).toBeLessThanOrEqual(1e-4);
        else expectClose(got?.score ?? undefined, want.score as number, `${want.name} score`, 1e-9, 1e-9);
      }
    }
    expect(report.dataset.driftedColumns).toBe(fixture.expected.dataset.driftedColumns);
    expect(report.dataset.columns).toBe(fixture.expected.dataset.columns);
    expect(report.dataset.drifted).toBe(fixture.expected.dataset.drifted);
    expectClose(report.dataset.driftedShare, fixture.expected.dataset.driftedShare, 'drifted share');
  });

  for (const [i, want] of fixture.expected.columns.entries()) {
    if (want.stats === null) continue;
    it(`matches SciPy on column ${want.name} (${want.type})`, () => {
      const got = report.columns[i];
      if (want.type === 'numerical') checkNumerical(got?.stats as NumericalStats, want);
      else checkCategorical(got?.stats as CategoricalStats, want);
    });
    if (want.type === 'numerical') {
      it(`fits the same drift bins as NumPy on column ${want.name}`, () => {
        const values = (cells: unknown[]) =>
          Float64Array.from(
            cells.map(decodeCell).filter((v) => !isMissing(v)),
            (v) => numericValue(v),
          );
        const comparison = compareNumerical(
          values(fixture.reference[want.name] ?? []),
          values(fixture.current[want.name] ?? []),
          fixture.options.bins,
        );
        expect(comparison.edges).toEqual(want.details?.edges);
        expect(comparison.referenceCounts).toEqual(want.details?.referenceCounts);
        expect(comparison.currentCounts).toEqual(want.details?.currentCounts);
      });
    }
  }
});

function checkNumerical(got: NumericalStats, want: ExpectedColumn) {
  const stats = want.stats as unknown as NumericalStats;
  expectClose(got.ks.statistic, stats.ks.statistic, `${want.name} KS statistic`);
  const pTolerance = want.details?.ksRegime === 'exact' ? 1e-9 : 1e-4;
  expect(
    Math.abs(got.ks.pValue - stats.ks.pValue),
    `${want.name} KS p-value (${want.details?.ksRegime})`,
  ).toBeLessThanOrEqual(pTolerance);
  for (const key of [
    'wasserstein',
    'wassersteinNormed',
    'psi',
    'kl',
    'jensenShannon',
    'hellinger',
  ] as const) {
    expectClose(got[key], stats[key], `${want.name} ${key}`);
  }
}

function checkCategorical(got: CategoricalStats, want: ExpectedColumn) {
  const stats = want.stats as unknown as CategoricalStats;
  expectClose(got.chiSquare.statistic, stats.chiSquare.statistic, `${want.name} chi-square statistic`);
  expect(
    Math.abs(got.chiSquare.pValue - stats.chiSquare.pValue),
    `${want.name} chi-square p-value`,
  ).toBeLessThanOrEqual(1e-9);
  expect(got.chiSquare.dof).toBe(stats.chiSquare.dof);
  for (const key of ['psi', 'kl', 'jensenShannon', 'hellinger'] as const) {
    expectClose(got[key], stats[key], `${want.name} ${key}`);
  }
  expect(got.newCategories).toEqual(stats.newCategories);
  expect(got.missingCategories).toEqual(stats.missingCategories);
}

describe('golden fixtures', () => {
  it('cover the cases the spec names', () => {
    const regimes = new Set(
      fixtures.flatMap((f) =>
        f.expected.columns.map((c) => c.details?.ksRegime).filter((r) => r !== undefined),
      ),
    );
    expect([...regimes].sort()).toEqual(['asymp', 'asymp-fallback', 'exact']);
    const sizes = fixtures.flatMap((f) =>
      f.expected.columns
        .filter((c) => c.type === 'numerical')
        .map((c) => Math.max(c.reference.count, c.current.count)),
    );
    expect(sizes).toContain(10000);
    expect(sizes).toContain(10001);
    expect(Math.max(...sizes)).toBeGreaterThan(10001);
    const numericalWithNullStats = fixtures.flatMap((f) =>
      f.expected.columns.filter((c) => c.stats === null),
    );
    expect(numericalWithNullStats.length).toBeGreaterThan(0);
  });
});
