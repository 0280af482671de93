import { describe, expect, it } from 'vitest';
import {
  bucketColumns,
  type ColumnCounters,
  CountersJson,
  DELTA_PREFIX,
  decodePayload,
  deltaId,
  deltaItems,
  sortDeltas,
  worthCompacting,
} from '#commons/telemetry/deltas';
import type { WindowCounters } from '#drift/profile';

const PK = 'PROFILE#m#60#0#0';

function sum(columns: ColumnCounters[]): Record<string, WindowCounters> {
  const out: Record<string, WindowCounters> = {};
  for (const delta of columns) {
    for (const [column, counters] of Object.entries(delta)) {
      out[column] ??= {};
      for (const [key, value] of Object.entries(counters))
        (out[column] as WindowCounters)[key] = ((out[column] as WindowCounters)[key] ?? 0) + value;
    }
  }
  return out;
}

const asObject = (map: Map<string, WindowCounters>) => Object.fromEntries(map);

describe('delta items', () => {
  it('derive their id from the batch id, so that a retry writes the same keys', () => {
    expect(deltaId('batch-1')).toBe(deltaId('batch-1'));
    expect(deltaId('batch-1')).not.toBe(deltaId('batch-2'));
    expect(deltaId()).not.toBe(deltaId());
    expect(deltaId('batch-1')).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('hold a delta in one item when it is small, and decode to what was written', async () => {
    const columns = { age: { s1: 3, o1: 0.25, sum: 90, sq: 2700 }, '@prediction': { 'c:yes': 2, miss: 1 } };
    const items = await deltaItems(PK, 2, 'abc', columns, 123);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      pk: PK,
      sk: `${DELTA_PREFIX}2#abc#0`,
      baseline: 2,
      parts: 1,
      expiresAt: 123,
    });
    expect(decodePayload(items[0]?.payload as Uint8Array)).toEqual(columns);
  });

  it('take counters given as their JSON text alike, whole or split', async () => {
    const categories: WindowCounters = {};
    for (let i = 0; i < 3000; i++) categories[`c:${'é'.repeat(60)}${i}`] = i + 1;
    const columns = { city: categories, age: { s0: 4, o0: 0.5, sum: 1 } };
    const asJson = {
      city: new CountersJson(JSON.stringify(categories)),
      age: new CountersJson(JSON.stringify(columns.age)),
    };
    for (const partBytes of [undefined, 64 * 1024]) {
      const fromObjects = await deltaItems(PK, 1, 'j', columns, 0, undefined, partBytes);
      const fromJson = await deltaItems(PK, 1, 'j', asJson, 0, undefined, partBytes);
      expect(fromJson).toEqual(fromObjects);
      expect(sum(fromJson.map((item) => decodePayload(item.payload)))).toEqual(columns);
    }
  });

  it('split a delta too large for one item, even one column of it, and add up to the whole', async () => {
    const categories: WindowCounters = {};
    for (let i = 0; i < 3000; i++) categories[`c:${'é'.repeat(60)}${i}`] = i + 1;
    const columns = { city: categories, age: { s0: 4, sum: 1 } };
    const items = await deltaItems(PK, 1, 'big', columns, 0, undefined, 64 * 1024);
    expect(items.length).toBeGreaterThan(2);
    for (const item of items) {
      expect(item.parts).toBe(items.length);
      expect(item.payload.byteLength).toBeLessThan(64 * 1024);
    }
    expect(sum(items.map((item) => decodePayload(item.payload)))).toEqual(columns);
  });
});

/** A batch delta or a merged delta as stored, for the reader's rules. */
async function stored(
  id: string,
  columns: ColumnCounters,
  options: { covers?: string[]; baseline?: number } = {},
) {
  return (await deltaItems(PK, options.baseline ?? 1, id, columns, 0, options.covers)).map((item) => ({
    ...item,
  }));
}

const a = await stored('aaaa', { x: { s0: 1 } });
const b = await stored('bbbb', { x: { s0: 2 } });
const c = await stored('cccc', { x: { s0: 4 } });
const merged = await stored(
  'bbbb~m1',
  { x: { s0: 3 } },
  { covers: [a[0]?.sk as string, b[0]?.sk as string] },
);

describe('reading a bucket', () => {
  it('adds up the batch deltas of the baseline asked for', async () => {
    const other = await stored('dddd', { x: { s0: 100 } }, { baseline: 2 });
    const deltas = sortDeltas([...a, ...b, ...c, ...other]);
    expect(asObject(bucketColumns(deltas, 1))).toEqual({ x: { s0: 7 } });
    expect(asObject(bucketColumns(deltas, 2))).toEqual({ x: { s0: 100 } });
    expect(worthCompacting(deltas)).toBe(true);
  });

  it('counts a complete merged delta instead of the members it covers', () => {
    const deltas = sortDeltas([...a, ...b, ...c, ...merged]);
    expect(asObject(bucketColumns(deltas, 1))).toEqual({ x: { s0: 7 } });
    expect(deltas.covered).toEqual([a[0]?.sk, b[0]?.sk]);
    expect(worthCompacting(deltas)).toBe(true);
    // Once the members are gone, one merged delta and one batch delta are not worth compacting.
    expect(worthCompacting(sortDeltas([...c, ...merged]))).toBe(false);
  });

  it('ignores a merged delta with a part missing, and counts its members instead', async () => {
    const members = [...a, ...b];
    const big: WindowCounters = {};
    for (let i = 0; i < 400; i++) big[`c:${i}`] = 1;
    const parts = await deltaItems(
      PK,
      1,
      'bbbb~m2',
      { x: { s0: 3 }, y: big },
      0,
      members.map((m) => m.sk),
      2048,
    );
    expect(parts.length).toBeGreaterThan(1);
    const deltas = sortDeltas([...members, ...parts.slice(0, -1).map((part) => ({ ...part }))]);
    expect(asObject(bucketColumns(deltas, 1))).toEqual({ x: { s0: 3 } });
    expect(deltas.incomplete).toHaveLength(parts.length - 1);
    expect(worthCompacting(deltas)).toBe(true);
  });

  it('never ignores a rewritten member that a merged delta covers', () => {
    // A retry rewrites a batch delta (same key) after compaction deleted it: still covered.
    const deltas = sortDeltas([...merged, ...a]);
    expect(asObject(bucketColumns(deltas, 1))).toEqual({ x: { s0: 3 } });
  });
});
