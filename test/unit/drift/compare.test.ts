import { describe, expect, it } from 'vitest';
import {
  type ColumnDrift,
  compareDatasets,
  DriftInputError,
  datasetDrift,
  defaultMethod,
  inferColumnType,
  isDrifted,
  isMissing,
  numericValue,
  type Row,
} from '#drift/index';
import { categoryOf, compareCodePoints } from '#drift/values';
import { prng } from './support.ts';

const rows = (name: string, values: readonly unknown[]): Row[] => values.map((v) => ({ [name]: v }));
/** Every number anywhere in a value. */
const numbersIn = (value: unknown): number[] =>
  typeof value === 'number'
    ? [value]
    : value !== null && typeof value === 'object'
      ? Object.values(value).flatMap(numbersIn)
      : [];
const column = (report: ReturnType<typeof compareDatasets>, name: string) =>
  report.columns.find((c) => c.name === name) as ColumnDrift;

describe('reading cells', () => {
  it('treats empty, null, NaN and ±Infinity (as numbers or text) as missing', () => {
    for (const cell of [
      null,
      undefined,
      '',
      '  ',
      Number.NaN,
      Infinity,
      -Infinity,
      'NaN',
      'nan',
      '-inf',
      'Infinity',
      'null',
      '1e999',
    ]) {
      expect(isMissing(cell), String(cell)).toBe(true);
    }
    for (const cell of [0, -0, '0', 'abc', false, 'None', '1e308'])
      expect(isMissing(cell), String(cell)).toBe(false);
  });

  it('parses plain decimal numbers only', () => {
    expect(['1', ' 2.5 ', '-3e2', '+.5', '7.', '1E-3'].map(numericValue)).toEqual([
      1, 2.5, -300, 0.5, 7, 0.001,
    ]);
    for (const text of ['0x10', '1,5', '1e', 'abc', 'true']) expect(numericValue(text), text).toBeNaN();
    expect(numericValue(true)).toBeNaN();
    expect(numericValue(10n)).toBe(10);
  });

  it('names categories by their text', () => {
    expect([categoryOf('a'), categoryOf(1), categoryOf(true), categoryOf({ k: 1 })]).toEqual([
      'a',
      '1',
      'true',
      '{"k":1}',
    ]);
  });

  it('orders categories by code point, as Python sorts str', () => {
    expect(['\u{1F600}', '\uFF21', 'b', 'a', 'ab'].sort(compareCodePoints)).toEqual([
      'a',
      'ab',
      'b',
      '\uFF21',
      '\u{1F600}',
    ]);
  });
});

describe('column types', () => {
  it('is numerical when every value is a number and there are more than 5 distinct ones in all', () => {
    expect(inferColumnType([1, 2, 3], [4, 5, 6])).toBe('numerical');
    expect(inferColumnType([1, 2, 3], [3, 4, 5])).toBe('categorical');
    expect(inferColumnType(['1', '2', '3', ''], ['4', '5', '6.5', null])).toBe('numerical');
    expect(inferColumnType([1, 2, 3, 4, 5, 6, 'x'], [])).toBe('categorical');
    expect(inferColumnType([null, Number.NaN], [''])).toBe('categorical');
  });

  it('follows a user type over the inferred one', () => {
    const ref = rows('level', [1, 2, 3, 1, 2, 3]);
    const cur = rows('level', [3, 3, 3, 2, 2, 1]);
    expect(column(compareDatasets(ref, cur), 'level').type).toBe('categorical');
    const typed = column(compareDatasets(ref, cur, { columnTypes: { level: 'numerical' } }), 'level');
    expect(typed.type).toBe('numerical');
    expect(typed.method).toBe('ks');
  });

  it('reports a text value in a column typed numerical with its side, row and column', () => {
    const ref = rows('x', [1, 2, 3]);
    const cur = rows('x', [1, 'oops', 3]);
    const attempt = () => compareDatasets(ref, cur, { columnTypes: { x: 'numerical' } });
    expect(attempt).toThrow(DriftInputError);
    expect(attempt).toThrow('value "oops" in numerical column "x" is not a number');
    try {
      attempt();
    } catch (error) {
      expect((error as DriftInputError).where).toEqual({ side: 'current', row: 1, column: 'x' });
    }
  });
});

describe('missing values', () => {
  it('drops missing cells before the statistics and reports both missing shares', () => {
    const ref = rows('x', [1, 2, 3, 4, 5, 6, 7, Number.NaN, null, '']);
    const cur = rows('x', [1, 2, 3, 4, 5, 6, 7, Infinity]);
    const clean = compareDatasets(rows('x', [1, 2, 3, 4, 5, 6, 7]), rows('x', [1, 2, 3, 4, 5, 6, 7]));
    const x = column(compareDatasets(ref, cur), 'x');
    expect(x.reference).toEqual({ count: 7, missingShare: 0.3 });
    expect(x.current).toEqual({ count: 7, missingShare: 0.125 });
    expect(x.stats).toEqual(column(clean, 'x').stats);
  });

  it('gives null statistics with a reason, never NaN, when a side has no values', () => {
    const ref = [...rows('x', [1, 2, 3, 4, 5, 6]), ...rows('c', ['a', 'b'])];
    const cur = [...rows('x', [Number.NaN, null]), ...rows('c', [null, ''])];
    const report = compareDatasets(ref, cur, { columnTypes: { x: 'numerical' } });
    for (const name of ['x', 'c']) {
      const c = column(report, name);
      expect(c.stats).toBeNull();
      expect(c.score).toBeNull();
      expect(c.drifted).toBe(false);
      expect(c.reason).toBe('no non-missing values in the current');
    }
    expect(numbersIn(report).every(Number.isFinite)).toBe(true);
    const empty = compareDatasets([], rows('x', [1, 2]));
    expect(column(empty, 'x').reason).toBe('no non-missing values in the reference');
    expect(column(empty, 'x').reference).toEqual({ count: 0, missingShare: 0 });
  });

  it('treats a column absent from one side as all missing there', () => {
    const report = compareDatasets([{ a: 'x', b: 'y' }], [{ a: 'x' }]);
    expect(report.columns.map((c) => c.name)).toEqual(['a', 'b']);
    expect(column(report, 'b').reason).toBe('no non-missing values in the current');
  });
});

describe('methods and verdicts', () => {
  it('defaults by column type and reference size, as the spec tabulates', () => {
    expect(defaultMethod('numerical', 1000)).toEqual({ method: 'ks', threshold: 0.05 });
    expect(defaultMethod('numerical', 1001)).toEqual({ method: 'wassersteinNormed', threshold: 0.1 });
    expect(defaultMethod('categorical', 1000)).toEqual({ method: 'chiSquare', threshold: 0.05 });
    expect(defaultMethod('categorical', 1001)).toEqual({ method: 'jensenShannon', threshold: 0.1 });
  });

  it('uses the non-missing reference count for the default', () => {
    const values = Array.from({ length: 1001 }, (_, i) => (i === 0 ? null : i));
    const report = compareDatasets(rows('x', values), rows('x', [1, 2, 3, 4, 5, 6]));
    expect(column(report, 'x').method).toBe('ks');
  });

  it('drifts on p-value < threshold for tests and on score ≥ threshold for distances', () => {
    expect(isDrifted('ks', 0.049, 0.05)).toBe(true);
    expect(isDrifted('ks', 0.05, 0.05)).toBe(false);
    expect(isDrifted('chiSquare', 0.01, 0.05)).toBe(true);
    expect(isDrifted('psi', 0.1, 0.1)).toBe(true);
    expect(isDrifted('jensenShannon', 0.0999, 0.1)).toBe(false);
  });

  it('applies a user method and threshold per column, scoring with that method', () => {
    const random = prng(3);
    const ref = Array.from({ length: 300 }, () => ({ x: random.normal(), c: random.pick(['a', 'b']) }));
    const cur = Array.from({ length: 300 }, () => ({
      x: random.normal() + 0.4,
      c: random.pick(['a', 'b', 'b']),
    }));
    const report = compareDatasets(ref, cur, {
      methods: { x: { method: 'psi', threshold: 0.5 }, c: { method: 'hellinger' } },
    });
    const x = column(report, 'x');
    expect(x.method).toBe('psi');
    expect(x.threshold).toBe(0.5);
    expect(x.score).toBe(x.stats && 'psi' in x.stats ? x.stats.psi : Number.NaN);
    expect(x.drifted).toBe((x.score as number) >= 0.5);
    const c = column(report, 'c');
    expect(c).toMatchObject({ method: 'hellinger', threshold: 0.1 });
    expect(c.score).toBe(c.stats?.hellinger);
  });

  it('rejects methods that do not fit the column and a raw Wasserstein without threshold', () => {
    const ref = rows('x', [1, 2, 3, 4, 5, 6]);
    expect(() => compareDatasets(ref, ref, { methods: { x: { method: 'chiSquare' } } })).toThrow(
      'method chiSquare does not apply to numerical column "x"',
    );
    expect(() => compareDatasets(ref, ref, { methods: { x: { method: 'wasserstein' } } })).toThrow(
      /needs a threshold/,
    );
    expect(() => compareDatasets(ref, ref, { methods: { x: { method: 'psi', threshold: -1 } } })).toThrow(
      /non-negative/,
    );
    const cat = rows('c', ['a', 'b']);
    expect(() => compareDatasets(cat, cat, { methods: { c: { method: 'ks' } } })).toThrow(/does not apply/);
  });

  it('rejects unknown columns and bad bins', () => {
    const ref = rows('x', [1, 2]);
    expect(() => compareDatasets(ref, ref, { columns: ['y'] })).toThrow('unknown column "y" in columns');
    expect(() => compareDatasets(ref, ref, { columnTypes: { y: 'numerical' } })).toThrow(
      /unknown column "y"/,
    );
    expect(() => compareDatasets(ref, ref, { bins: 0 })).toThrow(/bins/);
    expect(() => compareDatasets(ref, ref, { bins: 2.5 })).toThrow(/bins/);
  });

  it('compares only the chosen columns, in the chosen order', () => {
    const ref = [{ a: 1, b: 'x', c: 2 }];
    expect(compareDatasets(ref, ref, { columns: ['c', 'a'] }).columns.map((c) => c.name)).toEqual(['c', 'a']);
  });
});

describe('dataset drift', () => {
  const verdicts = (...drifted: boolean[]) => drifted.map((d) => ({ drifted: d }) as ColumnDrift);

  it('drifts when the share of drifted columns reaches 0.5, or the configured share', () => {
    expect(datasetDrift(verdicts(true, false))).toEqual({
      driftedColumns: 1,
      columns: 2,
      driftedShare: 0.5,
      drifted: true,
    });
    expect(datasetDrift(verdicts(true, false, false)).drifted).toBe(false);
    expect(datasetDrift(verdicts(true, false, false), 0.3).drifted).toBe(true);
    expect(datasetDrift([])).toEqual({ driftedColumns: 0, columns: 0, driftedShare: 0, drifted: false });
    expect(() => datasetDrift(verdicts(true), 1.5)).toThrow(/drift share/);
  });

  it('is computed over the report columns', () => {
    const random = prng(5);
    const ref = Array.from({ length: 200 }, () => ({
      a: random.normal(),
      b: random.normal(),
      c: random.normal(),
    }));
    const cur = Array.from({ length: 200 }, () => ({
      a: random.normal() + 3,
      b: random.normal(),
      c: random.normal(),
    }));
    const report = compareDatasets(ref, cur);
    expect(report.columns.map((c) => c.drifted)).toEqual([true, false, false]);
    expect(report.dataset).toEqual({ driftedColumns: 1, columns: 3, driftedShare: 1 / 3, drifted: false });
    expect(compareDatasets(ref, cur, { driftShare: 0.3 }).dataset.drifted).toBe(true);
  });

  it('reports rows per side', () => {
    const report = compareDatasets(rows('x', [1, 2, 3]), rows('x', [1, 2]));
    expect(report.reference).toEqual({ rows: 3 });
    expect(report.current).toEqual({ rows: 2 });
  });
});
