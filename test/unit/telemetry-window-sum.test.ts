import { beforeEach, describe, expect, it } from 'vitest';
import {
  bucketColumns,
  type ColumnCounters,
  type DeltaItem,
  deltaItems,
  sortDeltas,
} from '#commons/telemetry/deltas';
import { clearDecodedDeltas, fixedSlot, WindowSum } from '#commons/telemetry/window-sum';
import type { WindowCounters } from '#drift/profile';

let seed = 7;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};

/** A delta as ingestion writes one: numerical sketch counters, categories, other columns' keys. */
function delta(): ColumnCounters {
  const numerical: WindowCounters = {};
  for (let k = 0; k < 110; k++) {
    if (random() < 0.2) continue;
    numerical[`s${k}`] = 1 + Math.floor(random() * 50);
    if (random() < 0.9) numerical[`o${k}`] = random() * 3.7e-3 + random() * 1e-12;
  }
  if (random() < 0.5) numerical.miss = 1 + Math.floor(random() * 4);
  numerical.sum = (random() - 0.5) * 1e4 + 1e-9;
  numerical.sq = random() * 1e7 + 1e-7;
  const categorical: WindowCounters = {};
  for (const c of ['b', 'a', 'sum', 's01', 'o7x', 'new']) if (random() < 0.7) categorical[`c:${c}`] = 1;
  if (random() < 0.5) categorical.miss = 2;
  return {
    n: numerical,
    c: categorical,
    // Keys of other columns: fixed-looking and not.
    '@cbpe': { s01: random(), sum: random(), n: 3, 'o-1': random() },
  };
}

const PK = 'PROFILE#m#60#0#0';

async function bucket(pk: string, merged: number, batches: number) {
  const items: DeltaItem[] = [];
  for (let i = 0; i < merged; i++)
    items.push(...(await deltaItems(pk, 1, `m${i}~x${i}`, delta(), undefined, [], 2048)));
  for (let i = 0; i < batches; i++) items.push(...(await deltaItems(pk, 1, `b${i}`, delta(), undefined)));
  items.push(...(await deltaItems(pk, 2, 'other', delta(), undefined)));
  return sortDeltas(items as unknown as Record<string, unknown>[]);
}

describe('summing a window', () => {
  beforeEach(() => clearDecodedDeltas());

  it('gives the counters of adding the decoded deltas in order, bit for bit and keys in order', async () => {
    const buckets = await Promise.all(
      Array.from({ length: 6 }, (_, i) => bucket(`PROFILE#m#60#${i * 60}#0`, i % 3, 2)),
    );
    const expected = new Map<string, WindowCounters>();
    const sum = new WindowSum();
    for (const [i, deltas] of buckets.entries()) {
      bucketColumns(deltas, 1, expected);
      sum.addBucket(`PROFILE#m#60#${i * 60}#0`, deltas, 1);
    }
    const actual = sum.columns();
    expect([...actual.keys()]).toEqual([...expected.keys()]);
    for (const [column, counters] of expected) {
      const got = actual.get(column) as WindowCounters;
      expect(Object.keys(got)).toEqual(Object.keys(counters));
      for (const key of Object.keys(counters)) expect(Object.is(got[key], counters[key])).toBe(true);
    }
  });

  it('decodes a merged delta once, and a batch delta on every read', async () => {
    const deltas = await bucket(PK, 1, 1);
    const first = new WindowSum();
    first.addBucket(PK, deltas, 1);
    const expected = first.columns();
    // The payloads are gone: a merged delta comes from the cache, a batch delta cannot.
    const stripped = sortDeltas(
      deltas.live.map((d) => ({ ...d.item, payload: d.merged ? new Uint8Array([1, 2, 3]) : d.item.payload })),
    );
    const again = new WindowSum();
    again.addBucket(PK, stripped, 1);
    expect(again.columns()).toEqual(expected);
    clearDecodedDeltas();
    expect(() => new WindowSum().addBucket(PK, stripped, 1)).toThrow();
  });

  it('keeps cached deltas apart by partition', async () => {
    const one = await bucket(PK, 1, 0);
    const other = 'PROFILE#m#60#60#0';
    const two = await bucket(other, 1, 0);
    const sum = (pk: string, deltas: typeof one) => {
      const s = new WindowSum();
      s.addBucket(pk, deltas, 1);
      return s.columns();
    };
    expect(sum(PK, one)).toEqual(bucketColumns(one, 1));
    expect(sum(other, two)).toEqual(bucketColumns(two, 1));
    expect(sum(PK, one)).toEqual(bucketColumns(one, 1));
  });

  it('maps the sketch counters of a numerical column to fixed slots, and nothing else', () => {
    expect(['miss', 'sum', 'sq', 's0', 'o0', 's1', 'o1', 's10'].map(fixedSlot)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 23,
    ]);
    expect(['s01', 's', 'o-1', 'c:s1', 'sx', 'n', 's1.5', 's99999999'].map(fixedSlot)).toEqual([
      -1, -1, -1, -1, -1, -1, -1, -1,
    ]);
  });
});
