import { createHash } from 'node:crypto';
import { OTHER_CATEGORY } from '#drift/profile';
import { categoryOf, compareCodePoints, isMissing } from '#drift/values';
import { PERFORMANCE_COLUMN } from '../telemetry/keys.ts';

/**
 * Segments: a model's declared categorical features slice its monitoring. Each of a segment
 * feature's 50 most frequent values in the baseline, and `__other__` for every other value, has
 * its own reference profiles (fitted from the baseline records of that value) and its own
 * window counters, which travel as extra columns of the batch deltas.
 */

/** Values of one segment feature tracked by name; every other value is `__other__`. */
export const SEGMENT_VALUES = 50;
/** The segment of values the baseline does not track by name. */
export const OTHER_SEGMENT = OTHER_CATEGORY;
/** Prefix of the delta columns of segments (feature names never start with `@`). */
export const SEGMENT_PREFIX = '@segment#';

/** A value names its columns as it is when it is this short and plain; otherwise by its hash. */
const PLAIN_KEY = /^[A-Za-z0-9_.-]{1,40}$/;

/**
 * The key of a segment value in column and item names: the value itself when it is 1 to 40
 * letters, digits, `_`, `.` or `-`, else `~` and 16 base64url characters of its SHA-256 (96
 * bits). Plain keys never contain `~`, so the two forms never collide; keys never contain `#`.
 */
export function segmentKey(value: string): string {
  if (value !== OTHER_SEGMENT && PLAIN_KEY.test(value)) return value;
  if (value === OTHER_SEGMENT) return OTHER_SEGMENT;
  return `~${createHash('sha256').update(value, 'utf8').digest('base64url').slice(0, 16)}`;
}

/** The delta column of a segment's counters of one column (a feature or `@prediction`). */
export function segmentColumn(feature: string, key: string, column: string): string {
  return `${SEGMENT_PREFIX}${feature}#${key}#${column}`;
}

/** The segment value of a cell: its category text, or undefined when the cell is missing. */
export function segmentValueOf(cell: unknown): string | undefined {
  return isMissing(cell) ? undefined : categoryOf(cell);
}

/** One tracked value of a segment feature in a baseline. */
export interface SegmentValue {
  /** The value as counted (a category text), or `__other__`. */
  readonly value: string;
  readonly key: string;
  /** Baseline records of the segment. */
  readonly records: number;
}

/**
 * The segments of one feature in a baseline: its {@link SEGMENT_VALUES} most frequent values,
 * ties broken by code-point order of the value, then `__other__` for the rest (always present,
 * possibly with no records). Missing cells belong to no segment; a value spelt `__other__` is
 * one of the rest.
 */
export function topSegmentValues(cells: Iterable<unknown>): SegmentValue[] {
  const counts = new Map<string, number>();
  for (const cell of cells) {
    const value = segmentValueOf(cell);
    if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  const ranked = [...counts]
    .filter(([value]) => value !== OTHER_SEGMENT)
    .sort((a, b) => b[1] - a[1] || compareCodePoints(a[0], b[0]));
  const top = ranked.slice(0, SEGMENT_VALUES);
  let rest = counts.get(OTHER_SEGMENT) ?? 0;
  for (const [, count] of ranked.slice(SEGMENT_VALUES)) rest += count;
  return [
    ...top.map(([value, records]) => ({ value, key: segmentKey(value), records })),
    { value: OTHER_SEGMENT, key: OTHER_SEGMENT, records: rest },
  ];
}

/**
 * Assigns values to segment keys: a tracked value to its own key, any other value to
 * `__other__`, a missing cell to none.
 */
export class SegmentAssigner {
  private readonly known = new Map<string, string>();
  constructor(tracked: Iterable<string>) {
    for (const key of tracked) this.known.set(key, key);
  }

  /** The key of `cell`'s segment, or undefined for a missing cell. */
  keyOf(cell: unknown, cache: Map<string, string>): string | undefined {
    const value = segmentValueOf(cell);
    if (value === undefined) return undefined;
    let key = cache.get(value);
    if (key === undefined) {
      const own = segmentKey(value);
      key = this.known.has(own) ? own : OTHER_SEGMENT;
      cache.set(value, key);
    }
    return key;
  }
}

/** The performance column of each segment a stored prediction belongs to (its `segments` keys). */
export function segmentPerformanceColumns(keys: unknown): string[] {
  if (keys === null || typeof keys !== 'object') return [];
  return Object.entries(keys as Record<string, unknown>).map(([feature, key]) =>
    segmentColumn(feature, String(key), PERFORMANCE_COLUMN),
  );
}
