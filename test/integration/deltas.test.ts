import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WindowCounters } from '#drift/profile';
import { startTestDynamoDb, type TestDynamoDb, useLocalDynamoDb } from '../support/dynalite.ts';
import { type FaultyDynamoDb, startFaultyDynamoDb } from '../support/faulty-dynamodb.ts';

/**
 * Window deltas on dynalite: compaction keeps every count exactly once, for readers that read
 * while it runs, for retries that rewrite a merged delta's member, for compactions that race or
 * crash half way.
 */
describe('window deltas and their compaction', () => {
  let db: TestDynamoDb;
  let proxy: FaultyDynamoDb;
  /** Write requests seen by the proxy, in order: what compaction did, step by step. */
  let log: { operation: string; body: Record<string, unknown> }[] = [];
  let deltas: typeof import('../../functions/commons/telemetry/deltas.ts');
  let window: typeof import('../../functions/commons/evaluation/window.ts');

  beforeAll(async () => {
    db = await startTestDynamoDb();
    proxy = await startFaultyDynamoDb(db.endpoint, (operation, _n, body) => {
      if (['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'].includes(operation)) {
        log.push({ operation, body: JSON.parse(body) });
      }
      return 'pass';
    });
    useLocalDynamoDb(proxy.endpoint, db.tableNames);
    deltas = await import('../../functions/commons/telemetry/deltas.ts');
    window = await import('../../functions/commons/evaluation/window.ts');
  });
  afterAll(async () => {
    await proxy.close();
    await db.close();
  });

  const table = () => db.tableNames.Telemetry;

  async function partition(pk: string): Promise<Record<string, unknown>[]> {
    const { Items } = await db.client.send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: pk } },
        ConsistentRead: true,
      }),
    );
    return (Items ?? []).map((item) => unmarshall(item));
  }

  const counted = (items: Record<string, unknown>[], baseline = 1) =>
    Object.fromEntries(deltas.bucketColumns(deltas.sortDeltas(items), baseline));

  /** Writes n batch deltas; batch i counts i + 1 in s0 and one category of 300. */
  async function writeBatches(
    pk: string,
    n: number,
    prefix: string,
  ): Promise<Record<string, WindowCounters>> {
    const expected: Record<string, WindowCounters> = { x: {}, y: {} };
    for (let i = 0; i < n; i++) {
      const columns = { x: { s0: i + 1, o0: 0.5 }, y: { [`c:${'v'.repeat(40)}${i % 300}`]: 1 } };
      for (const [column, counters] of Object.entries(columns)) {
        for (const [key, value] of Object.entries(counters)) {
          const into = expected[column] as WindowCounters;
          into[key] = (into[key] ?? 0) + value;
        }
      }
      const id = deltas.deltaId(`${prefix}-${i}`);
      for (const item of await deltas.deltaItems(pk, 1, id, columns, 0))
        await deltas.putDeltaItem(table(), item);
    }
    return expected;
  }

  it('merges a closed bucket into few items with the same counts, and keeps them for readers in flight', async () => {
    const pk = 'PROFILE#m1#60#0#0';
    const expected = await writeBatches(pk, 40, 'm1');
    const before = await partition(pk);
    expect(counted(before)).toEqual(expected);

    log = [];
    // Small parts, so that the merged delta spans several items, as a large one does.
    expect(await deltas.compactBucket(table(), pk, deltas.sortDeltas(before), { partBytes: 1500 })).toBe(
      true,
    );
    const after = await partition(pk);
    expect(counted(after)).toEqual(expected);
    const remaining = after.filter((item) => String(item.sk).startsWith(deltas.DELTA_PREFIX));
    expect(remaining.length).toBeGreaterThan(1);
    expect(remaining.every((item) => String(item.sk).includes('~'))).toBe(true);

    // Replay what compaction wrote, one write at a time, and let simulated readers read the
    // partition in key order while it runs: item j is read in the state after p_j writes, with
    // p_j never decreasing (a Query moves forward in time and in keys). Every reader counts the
    // same as before compaction.
    const effects: ((state: Map<string, Record<string, unknown>>) => void)[] = [];
    for (const { operation, body } of log) {
      if (operation === 'PutItem') {
        // The wire format carries binary attributes as base64.
        const wire = body.Item as Record<string, { B?: string }>;
        if (wire.payload?.B) wire.payload = { B: Buffer.from(wire.payload.B, 'base64') } as never;
        const item = unmarshall(wire as never);
        effects.push((state) => state.set(String(item.sk), item));
      } else if (operation === 'BatchWriteItem') {
        for (const request of Object.values(
          body.RequestItems as Record<string, { DeleteRequest: { Key: never } }[]>,
        )[0] ?? []) {
          const sk = String(unmarshall(request.DeleteRequest.Key).sk);
          effects.push((state) => state.delete(sk));
        }
      }
    }
    expect(effects.length).toBeGreaterThan(40);
    const states = [new Map(before.map((item) => [String(item.sk), item]))];
    for (const effect of effects) {
      const next = new Map(states[states.length - 1]);
      effect(next);
      states.push(next);
    }
    const keys = [...new Set(states.flatMap((state) => [...state.keys()]))].sort();
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const viewAt = (times: readonly number[]) =>
      keys.flatMap((key, j) => {
        const item = states[times[j] as number]?.get(key);
        return item ? [item] : [];
      });
    const readers: number[][] = [];
    // Readers that read everything at one moment, at every moment of the compaction ...
    for (let s = 0; s < states.length; s++) readers.push(keys.map(() => s));
    // ... readers that read the members at one moment and the merged delta at any later one ...
    const firstMerged = keys.findIndex((key) => key.includes('~'));
    for (let s1 = 0; s1 < states.length; s1++) {
      for (let s2 = s1; s2 < states.length; s2 += 3)
        readers.push(keys.map((_, j) => (j < firstMerged ? s1 : s2)));
    }
    // ... and readers that move on at random moments.
    for (let reader = 0; reader < 200; reader++) {
      readers.push(keys.map(() => Math.floor(random() * states.length)).sort((a, b) => a - b));
    }
    for (const times of readers) expect(counted(viewAt(times))).toEqual(expected);
  });

  it('does not count a batch delta twice when a retry rewrites it after it was merged', async () => {
    const pk = 'PROFILE#m2#60#0#0';
    const expected = await writeBatches(pk, 5, 'm2');
    expect(await deltas.compactBucket(table(), pk, deltas.sortDeltas(await partition(pk)))).toBe(true);
    // The retry of batch m2-3 writes its delta again, under the same key.
    await writeBatches(pk, 5, 'm2');
    expect(counted(await partition(pk))).toEqual(expected);
    // The next compaction deletes the rewritten members and merges nothing new.
    expect(await deltas.compactBucket(table(), pk, deltas.sortDeltas(await partition(pk)))).toBe(true);
    const after = await partition(pk);
    expect(counted(after)).toEqual(expected);
    expect(after.filter((item) => String(item.sk).startsWith(deltas.DELTA_PREFIX))).toHaveLength(1);
  });

  it('lets one of two racing compactions run, and none that read before another compacted', async () => {
    const pk = 'PROFILE#m3#60#0#0';
    const expected = await writeBatches(pk, 12, 'm3');
    const snapshot = deltas.sortDeltas(await partition(pk));
    const results = await Promise.all([
      deltas.compactBucket(table(), pk, snapshot),
      deltas.compactBucket(table(), pk, snapshot),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(counted(await partition(pk))).toEqual(expected);

    // A snapshot read before that compaction may not be acted on, even though the lease is free.
    const more = await writeBatches(pk, 3, 'm3-late');
    expect(await deltas.compactBucket(table(), pk, snapshot)).toBe(false);
    const fresh = deltas.sortDeltas(await partition(pk));
    expect(await deltas.compactBucket(table(), pk, fresh)).toBe(true);
    const total = counted(await partition(pk));
    expect(total.x?.s0).toBe((expected.x?.s0 as number) + (more.x?.s0 as number));
  });

  it('ignores a merged delta left incomplete by a crash, and clears it on the next compaction', async () => {
    const pk = 'PROFILE#m4#60#0#0';
    const expected = await writeBatches(pk, 6, 'm4');
    const members = deltas.sortDeltas(await partition(pk)).live;
    const big: WindowCounters = {};
    for (let i = 0; i < 300; i++) big[`c:${i}`] = 1000;
    const orphan = await deltas.deltaItems(
      pk,
      1,
      `${members[members.length - 1]?.id}~crash`,
      { x: { s0: 999 }, y: big },
      0,
      members.map((m) => m.sk),
      1500,
    );
    expect(orphan.length).toBeGreaterThan(1);
    await deltas.putDeltaItem(table(), orphan[0] as (typeof orphan)[number]);
    expect(counted(await partition(pk))).toEqual(expected);

    expect(await deltas.compactBucket(table(), pk, deltas.sortDeltas(await partition(pk)))).toBe(true);
    const after = await partition(pk);
    expect(counted(after)).toEqual(expected);
    expect(after.some((item) => String(item.sk) === orphan[0]?.sk)).toBe(false);
  });

  it('compacts closed buckets when a window is read, and not the bucket still open', async () => {
    const model = { modelId: 'm5', writeShards: 1 } as Parameters<typeof window.readWindow>[0];
    const now = Math.floor(Date.now() / 1000 / 60) * 60;
    const closed = `PROFILE#m5#60#${now - 180}#0`;
    const open = `PROFILE#m5#60#${now}#0`;
    const a = await writeBatches(closed, 8, 'm5-closed');
    const b = await writeBatches(open, 8, 'm5-open');

    const from = new Date((now - 300) * 1000);
    const to = new Date((now + 60) * 1000);
    const deltasIn = async (pk: string) =>
      (await partition(pk)).filter((item) => String(item.sk).startsWith(deltas.DELTA_PREFIX)).length;
    // A reader without write access (reports) leaves the buckets as they are.
    await window.readWindow(model, 1, from, to, 60);
    expect(await deltasIn(closed)).toBe(8);

    const read = await window.readWindow(model, 1, from, to, 60, { compact: true });
    expect(read.columns.get('x')?.s0).toBe((a.x?.s0 as number) + (b.x?.s0 as number));
    expect(await deltasIn(closed)).toBe(1);
    expect(await deltasIn(open)).toBe(8);
  });

  it('compacts the buckets that closed last on every scheduled run, and an open one only when busy', async () => {
    const model = { modelId: 'm6', writeShards: 1, schedule: { window: 'PT1H' } } as Parameters<
      typeof window.compactRecentBuckets
    >[0];
    const minute = Math.floor(Date.now() / 60_000) * 60 - 600;
    const bucket = (t: number) => `PROFILE#m6#60#${t}#0`;
    const starts = [minute - 240, minute - 180, minute - 120, minute - 60, minute];
    for (const t of starts) await writeBatches(bucket(t), 3, `m6-${t}`);
    const deltasIn = async (t: number) =>
      (await partition(bucket(t))).filter((item) => String(item.sk).startsWith(deltas.DELTA_PREFIX)).length;

    // Half a minute into the bucket that starts at `minute`: that one is open.
    await window.compactRecentBuckets(model, new Date((minute + 30) * 1000));

    expect(await Promise.all(starts.map(deltasIn))).toEqual([3, 1, 1, 1, 3]);

    // An open bucket is compacted too once it holds 100 batch deltas.
    await writeBatches(bucket(minute), 97, 'm6-busy');
    await window.compactRecentBuckets(model, new Date((minute + 30) * 1000));
    expect(await Promise.all(starts.map(deltasIn))).toEqual([3, 1, 1, 1, 1]);
  });

  it("compacts the day bucket of daily totals that closed last, and today's only when busy", async () => {
    const model = { modelId: 'm7', writeShards: 1, schedule: { window: 'PT1H' } } as Parameters<
      typeof window.compactRecentBuckets
    >[0];
    const noon = Date.parse('2026-03-10T12:00:00Z');
    const days = ['2026-03-08', '2026-03-09', '2026-03-10'];
    const bucket = (day: string) => `TOTALS#m7#${day}#0`;
    for (const day of days) await writeBatches(bucket(day), 3, `m7-${day}`);
    const deltasIn = async (day: string) =>
      (await partition(bucket(day))).filter((item) => String(item.sk).startsWith(deltas.DELTA_PREFIX)).length;

    await window.compactRecentBuckets(model, new Date(noon));
    expect(await Promise.all(days.map(deltasIn))).toEqual([3, 1, 3]);

    await writeBatches(bucket('2026-03-10'), 97, 'm7-busy');
    await window.compactRecentBuckets(model, new Date(noon));
    expect(await Promise.all(days.map(deltasIn))).toEqual([3, 1, 1]);
  });
});
