import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  applyDatasetRule,
  benjaminiHochberg,
  type ColumnDrift,
  compareDatasets,
  DriftInputError,
  type Row,
} from '#drift/index';

/** Fixtures written by scripts/golden/fdr_fixtures.py (NumPy from the definition, checked against statsmodels). */
const dir = join(import.meta.dirname, '../../fixtures/fdr');
const load = (name: string) => JSON.parse(readFileSync(join(dir, name), 'utf8'));

interface AdjustCase {
  name: string;
  pValues: (number | null)[];
  adjusted: (number | null)[];
  rejected: Record<string, (boolean | null)[]>;
}

/** Relative agreement to 1e-12 (the adjusted values span 1e-124 to 1). */
function expectClose(actual: number | null | undefined, expected: number | null, tolerance = 1e-12) {
  if (expected === null) {
    expect(actual).toBeNull();
    return;
  }
  expect(typeof actual).toBe('number');
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(tolerance * Math.abs(expected));
}

describe('Benjamini–Hochberg against the golden fixtures', () => {
  const { cases, alphas } = load('adjust.json') as { cases: AdjustCase[]; alphas: number[] };

  it('has the cases the procedure must get right', () => {
    expect(cases.map((c) => c.name)).toEqual(
      expect.arrayContaining(['ks-shifts-ties', 'chi-square-ties', 'missing-entries', 'all-ones', 'empty']),
    );
    // Real ties, p = 1 and tiny p-values are among the inputs.
    const all = cases.flatMap((c) => c.pValues).filter((p): p is number => p !== null);
    expect(all).toContain(1);
    expect(Math.min(...all)).toBeLessThan(1e-50);
  });

  for (const testCase of cases) {
    it(`${testCase.name}: adjusted p-values to 1e-12 and the same rejections`, () => {
      const adjusted = benjaminiHochberg(testCase.pValues);
      expect(adjusted).toHaveLength(testCase.pValues.length);
      testCase.adjusted.forEach((expected, i) => {
        expectClose(adjusted[i], expected);
      });
      for (const alpha of alphas) {
        expect(adjusted.map((q) => (q === null ? null : q <= alpha))).toEqual(
          testCase.rejected[String(alpha)],
        );
      }
    });
  }
});

describe('benjaminiHochberg', () => {
  it('is monotone in the p-values, capped at 1, and gives tied p-values one adjusted value', () => {
    const p = [0.04, 0.01, 0.04, 0.9, 0.03, 0.04];
    const q = benjaminiHochberg(p) as number[];
    // By hand: sorted 0.01, 0.03, 0.04 ×3, 0.9 with m = 6 → 0.06, 0.09, 0.048 (three times), 0.9.
    expect(q[1]).toBeCloseTo(0.048, 15);
    expect(q[4]).toBeCloseTo(0.048, 15);
    expect([q[0], q[2], q[5]]).toEqual([0.048, 0.048, 0.048]);
    expect(q[3]).toBeCloseTo(0.9, 15);
    const order = [...p.keys()].sort((a, b) => (p[a] as number) - (p[b] as number));
    for (let i = 1; i < order.length; i++)
      expect(q[order[i] as number]).toBeGreaterThanOrEqual(q[order[i - 1] as number] as number);
    // m·p/k = 0.99 at the top rank, so all three take it (the running minimum from the top).
    for (const x of benjaminiHochberg([0.9, 0.95, 0.99])) expect(x).toBeCloseTo(0.99, 15);
    expect(benjaminiHochberg([0.6, 1])).toEqual([1, 1]);
  });

  it('leaves missing p-values out of m and returns null for them', () => {
    expect(benjaminiHochberg([0.01, null, Number.NaN, undefined, 0.02])).toEqual([
      0.02,
      null,
      null,
      null,
      0.02,
    ]);
    expect(benjaminiHochberg([null])).toEqual([null]);
    expect(benjaminiHochberg([])).toEqual([]);
  });

  it('refuses a p-value outside [0, 1]', () => {
    expect(() => benjaminiHochberg([0.5, 1.5])).toThrow(DriftInputError);
    expect(() => benjaminiHochberg([-0.1])).toThrow(/position 0/);
  });
});

describe('the fdr dataset rule', () => {
  const fixture = load('columns.json') as {
    columns: string[];
    reference: Row[];
    current: Row[];
    pValues: number[];
    adjusted: number[];
    alpha: number;
    rejectedColumns: number;
    drifted: boolean;
  };

  it('adjusts the KS and chi-square p-values of raw data sets as SciPy and NumPy do', () => {
    const report = compareDatasets(fixture.reference, fixture.current, {
      columns: fixture.columns,
      columnTypes: Object.fromEntries(
        fixture.columns.map((c) => [c, c.startsWith('x') ? 'numerical' : 'categorical'] as const),
      ),
      datasetRule: { rule: 'fdr', alpha: fixture.alpha },
    });
    report.columns.forEach((column, i) => {
      const p = column.type === 'numerical' ? column.stats?.ks.pValue : column.stats?.chiSquare.pValue;
      // The p-values agree to 1e-9 (docs/drift.md); BH keeps that agreement.
      expect(Math.abs((p as number) - (fixture.pValues[i] as number))).toBeLessThanOrEqual(1e-9);
      expect(
        Math.abs((column.adjustedPValue as number) - (fixture.adjusted[i] as number)),
      ).toBeLessThanOrEqual(1e-9);
    });
    expect(report.dataset).toMatchObject({
      rule: 'fdr',
      alpha: fixture.alpha,
      rejectedColumns: fixture.rejectedColumns,
      drifted: fixture.drifted,
      columns: fixture.columns.length,
    });
  });

  it('uses the test p-value whatever the column method, and ignores columns without data', () => {
    const reference: Row[] = Array.from({ length: 200 }, (_, i) => ({
      a: i,
      b: i % 3 === 0 ? 'x' : 'y',
      e: i,
    }));
    const current: Row[] = Array.from({ length: 200 }, (_, i) => ({ a: i + 150, b: 'x', e: null }));
    const report = compareDatasets(reference, current, {
      columnTypes: { a: 'numerical', b: 'categorical', e: 'numerical' },
      methods: { a: { method: 'wassersteinNormed' }, b: { method: 'jensenShannon' } },
      datasetRule: { rule: 'fdr', alpha: 0.05 },
    });
    const [a, b, e] = report.columns as [ColumnDrift, ColumnDrift, ColumnDrift];
    const pA = a.type === 'numerical' ? (a.stats?.ks.pValue as number) : Number.NaN;
    const pB = b.type === 'categorical' ? (b.stats?.chiSquare.pValue as number) : Number.NaN;
    expect(benjaminiHochberg([pA, pB])).toEqual([a.adjustedPValue, b.adjustedPValue]);
    expect(e.adjustedPValue).toBeNull();
    expect(report.dataset).toMatchObject({ rule: 'fdr', alpha: 0.05, rejectedColumns: 2, drifted: true });
  });

  it('drifts only when a hypothesis is rejected, whatever the share of drifted columns', () => {
    const column = (name: string, p: number, drifted: boolean) =>
      ({
        name,
        type: 'categorical',
        reference: { count: 10, missingShare: 0 },
        current: { count: 10, missingShare: 0 },
        method: 'chiSquare',
        score: p,
        threshold: 0.05,
        drifted,
        stats: { chiSquare: { statistic: 1, pValue: p, dof: 1 } },
      }) as unknown as ColumnDrift;
    // Two of three columns below 0.05 on their own, none rejected at FDR 0.05 (0.04·3/2 = 0.06).
    const columns = [column('a', 0.04, true), column('b', 0.045, true), column('c', 0.9, false)];
    expect(applyDatasetRule(columns, { rule: 'share', share: 0.5 }).dataset.drifted).toBe(true);
    const fdr = applyDatasetRule(columns, { rule: 'fdr', alpha: 0.05 });
    expect(fdr.dataset).toMatchObject({ drifted: false, rejectedColumns: 0, driftedColumns: 2 });
    expect(fdr.columns.map((c) => c.adjustedPValue)).toEqual([0.0675, 0.0675, 0.9]);
    expect(applyDatasetRule(columns, { rule: 'fdr', alpha: 0.1 }).dataset).toMatchObject({
      drifted: true,
      rejectedColumns: 2,
    });
  });

  it('keeps the share rule as it was and checks the rule numbers', () => {
    const report = compareDatasets([{ a: 'x' }], [{ a: 'y' }], {
      datasetRule: { rule: 'share', share: 0.5 },
    });
    expect(report.dataset).toEqual({ driftedColumns: 0, columns: 1, driftedShare: 0, drifted: false });
    expect(report.columns[0]).not.toHaveProperty('adjustedPValue');
    expect(() => applyDatasetRule([], { rule: 'fdr', alpha: 0 })).toThrow(DriftInputError);
    expect(() => applyDatasetRule([], { rule: 'fdr', alpha: 1.5 })).toThrow(DriftInputError);
  });
});
