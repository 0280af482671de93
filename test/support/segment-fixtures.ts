import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

/** Golden fixtures written by scripts/golden/segment_fixtures.py (SciPy 1.10). */
export const SEGMENT_FIXTURE_DIR = join(import.meta.dirname, '../fixtures/segments');

export interface SegmentFixtureRecord {
  features: Record<string, unknown>;
  prediction: string | number;
}

export interface ExpectedSegmentColumn {
  name: string;
  type: 'numerical' | 'categorical';
  reference: { count: number; missingShare: number };
  current: { count: number; missingShare: number };
  method: string;
  threshold: number;
  score: number | null;
  drifted: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: statistics are read field by field
  stats: Record<string, any> | null;
}

export interface ExpectedSegment {
  value: string;
  key: string;
  records: number;
  samples: number;
  status: 'ok' | 'breach' | 'insufficient_data';
  columns: ExpectedSegmentColumn[];
  dataset: { driftedColumns: number; columns: number; driftedShare: number; drifted: boolean };
}

export interface SegmentFixture {
  name: string;
  model: Record<string, unknown> & { segments: string[] };
  reference: SegmentFixtureRecord[];
  current: SegmentFixtureRecord[];
  expected: { feature: string; segments: ExpectedSegment[] };
}

export function loadSegmentFixtures(): SegmentFixture[] {
  return readdirSync(SEGMENT_FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(SEGMENT_FIXTURE_DIR, f), 'utf8')) as SegmentFixture);
}

const close = (actual: number, expected: number, rel: number, abs: number) =>
  Math.abs(actual - expected) <= Math.max(abs, rel * Math.abs(expected));

function expectClose(actual: unknown, expected: number, what: string, rel = 1e-9, abs = 1e-12) {
  expect(actual, what).toBeTypeOf('number');
  expect(close(actual as number, expected, rel, abs), `${what}: ${actual} vs SciPy ${expected}`).toBe(true);
}

/**
 * A segment column as Vigil computed it from profiles against SciPy's figures on the segment's
 * raw records: counts, missing shares, the binned statistics to 1e-9 relative (1e-12 absolute),
 * chi-square statistic to 1e-9 relative and p-value to 1e-9 absolute, categories exactly, and the
 * verdict (every fixture method is exact from profiles).
 */
export function expectSegmentColumn(
  // biome-ignore lint/suspicious/noExplicitAny: a column of an evaluation, read field by field
  got: any,
  want: ExpectedSegmentColumn,
  where: string,
): void {
  const what = `${where} ${want.name}`;
  expect(got?.name, what).toBe(want.name);
  expect(got.type, what).toBe(want.type);
  expect(got.reference.count, what).toBe(want.reference.count);
  expect(got.current.count, what).toBe(want.current.count);
  expectClose(got.reference.missingShare, want.reference.missingShare, `${what} reference missing`);
  expectClose(got.current.missingShare, want.current.missingShare, `${what} current missing`);
  expect(got.method, what).toBe(want.method);
  expect(got.threshold, what).toBe(want.threshold);
  expect(got.drifted, what).toBe(want.drifted);
  if (want.stats === null) {
    expect(got.stats, what).toBeNull();
    expect(got.score, what).toBeNull();
    return;
  }
  for (const stat of ['psi', 'kl', 'jensenShannon', 'hellinger'])
    expectClose(got.stats[stat], want.stats[stat], `${what} ${stat}`);
  if (want.method === 'chiSquare') expectClose(got.score, want.score as number, `${what} score`, 0, 1e-9);
  else expectClose(got.score, want.score as number, `${what} score`);
  if (want.type === 'categorical') {
    expectClose(got.stats.chiSquare.statistic, want.stats.chiSquare.statistic, `${what} chi-square`);
    expectClose(got.stats.chiSquare.pValue, want.stats.chiSquare.pValue, `${what} chi-square p`, 0, 1e-9);
    expect(got.stats.chiSquare.dof, what).toBe(want.stats.chiSquare.dof);
    expect(got.stats.newCategoryCount, what).toBe(want.stats.newCategories.length);
    expect(got.stats.missingCategoryCount, what).toBe(want.stats.missingCategories.length);
  }
}
