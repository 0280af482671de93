import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  OTHER_SEGMENT,
  SEGMENT_VALUES,
  SegmentAssigner,
  segmentColumn,
  segmentKey,
  segmentPerformanceColumns,
  topSegmentValues,
} from '#commons/segments/columns';

describe('segment keys', () => {
  it('keeps a short plain value and hashes any other into 96 bits that never collide with a plain key', () => {
    expect(segmentKey('south')).toBe('south');
    expect(segmentKey('a-b_c.9')).toBe('a-b_c.9');
    const long = 'x'.repeat(41);
    const hashed = `~${createHash('sha256').update(long).digest('base64url').slice(0, 16)}`;
    expect(segmentKey(long)).toBe(hashed);
    expect(segmentKey('São Paulo')).toMatch(/^~[A-Za-z0-9_-]{16}$/);
    expect(segmentKey('a#b')).toMatch(/^~/);
    expect(segmentKey('')).toMatch(/^~/);
    expect(segmentKey(OTHER_SEGMENT)).toBe(OTHER_SEGMENT);
    expect(segmentColumn('region', 'south', '@prediction')).toBe('@segment#region#south#@prediction');
  });

  it('names the performance columns of the segments a stored prediction belongs to', () => {
    expect(segmentPerformanceColumns({ region: 'south', tier: '~abc' })).toEqual([
      '@segment#region#south#@performance',
      '@segment#tier#~abc#@performance',
    ]);
    expect(segmentPerformanceColumns(undefined)).toEqual([]);
  });
});

describe('the segments of a baseline', () => {
  it('takes the 50 most frequent values, ties in code-point order, the rest and a literal __other__ as __other__', () => {
    const cells: unknown[] = [];
    // v00..v45 with 100 - i records each, five values tied at 5 records, "7" with 2.
    for (let i = 0; i < 46; i++)
      for (let n = 0; n < 100 - i; n++) cells.push(`v${String(i).padStart(2, '0')}`);
    for (const tied of ['😀', 'é', 'b', 'a', 'z']) for (let n = 0; n < 5; n++) cells.push(tied);
    cells.push(OTHER_SEGMENT, OTHER_SEGMENT, null, '', Number.NaN, 7, 7);
    const values = topSegmentValues(cells);
    expect(values).toHaveLength(SEGMENT_VALUES + 1);
    // 46 frequent ones, then four of the ties by code point ("😀" sorts last and is left out).
    expect(values.slice(44, 50).map((v) => v.value)).toEqual(['v44', 'v45', 'a', 'b', 'z', 'é']);
    expect(values.at(-1)).toEqual({ value: OTHER_SEGMENT, key: OTHER_SEGMENT, records: 5 + 2 + 2 }); // 😀, 7, the literal __other__
  });

  it('assigns a tracked value its own segment, any other value __other__, and a missing cell none', () => {
    const assigner = new SegmentAssigner(['south', segmentKey('São Paulo'), OTHER_SEGMENT]);
    const cache = new Map<string, string>();
    expect(assigner.keyOf('south', cache)).toBe('south');
    expect(assigner.keyOf('São Paulo', cache)).toBe(segmentKey('São Paulo'));
    expect(assigner.keyOf('atlantis', cache)).toBe(OTHER_SEGMENT);
    expect(assigner.keyOf(OTHER_SEGMENT, cache)).toBe(OTHER_SEGMENT);
    expect(assigner.keyOf(null, cache)).toBeUndefined();
    expect(assigner.keyOf('  ', cache)).toBeUndefined();
  });
});
