import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Row } from '#drift/index';

/** Golden fixtures written by scripts/golden/drift_fixtures.py (SciPy 1.10). */
export const FIXTURE_DIR = join(import.meta.dirname, '../../fixtures/drift');

export interface ExpectedColumn {
  name: string;
  type: 'numerical' | 'categorical';
  reference: { count: number; missingShare: number };
  current: { count: number; missingShare: number };
  method: string;
  threshold: number;
  score: number | null;
  drifted: boolean;
  stats: Record<string, unknown> | null;
  details?: {
    ksRegime?: 'exact' | 'asymp' | 'asymp-fallback';
    std?: number;
    edges?: number[];
    categories?: string[];
    referenceCounts: number[];
    currentCounts: number[];
  };
}

export interface Fixture {
  name: string;
  description: string;
  options: { bins: number; columnTypes?: Record<string, 'numerical' | 'categorical'> };
  reference: Record<string, unknown[]>;
  current: Record<string, unknown[]>;
  expected: {
    columns: ExpectedColumn[];
    dataset: { driftedColumns: number; columns: number; driftedShare: number; drifted: boolean };
  };
}

/** Every data-set fixture (all but special-functions.json). */
export function loadFixtures(): Fixture[] {
  return readdirSync(FIXTURE_DIR)
    .filter((file) => file.endsWith('.json') && file !== 'special-functions.json')
    .sort()
    .map((file) => JSON.parse(readFileSync(join(FIXTURE_DIR, file), 'utf8')) as Fixture);
}

export function loadJson<T>(file: string): T {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, file), 'utf8')) as T;
}

/** A cell as the fixtures encode it: "NaN", "Infinity" and "-Infinity" stand for those numbers. */
export function decodeCell(value: unknown): unknown {
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  return value;
}

/** Column-oriented fixture data as rows. */
export function toRows(columns: Record<string, unknown[]>): Row[] {
  const names = Object.keys(columns);
  const length = (columns[names[0] as string] ?? []).length;
  return Array.from({ length }, (_, i) =>
    Object.fromEntries(names.map((name) => [name, decodeCell(columns[name]?.[i])])),
  );
}

/** |actual − expected| ≤ max(abs, rel·|expected|). */
export function close(actual: number, expected: number, rel = 1e-9, abs = 1e-12): boolean {
  return Math.abs(actual - expected) <= Math.max(abs, rel * Math.abs(expected));
}

/** A seeded PRNG (mulberry32) with the samplers the property tests need. */
export function prng(seed: number) {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    const u = 1 - uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
  return {
    uniform,
    normal,
    int: (lo: number, hi: number) => lo + Math.floor(uniform() * (hi - lo + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(uniform() * items.length)] as T,
    array: (n: number, draw: () => number) => Float64Array.from({ length: n }, draw),
  };
}
