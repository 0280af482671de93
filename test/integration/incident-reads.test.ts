import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDynamoDb, type TestDynamoDb, useLocalDynamoDb } from '../support/dynalite.ts';

/**
 * The internal reads of the incident index, on dynalite with more than one DynamoDB page of
 * incidents: every open incident once, the ones opened in a span, and a refusal past a bound.
 */
describe('incident index reads across pages', () => {
  let db: TestDynamoDb;
  let store: typeof import('../../functions/commons/incidents/store.ts');
  let query: typeof import('../../functions/commons/clients/query.ts');
  const start = Date.parse('2026-03-01T00:00:00Z');
  const openedAt = (i: number) => new Date(start + i * 3600_000).toISOString();
  // 60 incidents of ~30 KB (a long reason): about 1.8 MB, two DynamoDB pages or more.
  const ids = Array.from({ length: 60 }, (_, i) => `inc_${String(i).padStart(20, '0')}`);
  const isOpen = (i: number) => i % 3 === 0;
  const modelOf = (i: number) => (i % 2 ? 'odd' : 'even');

  beforeAll(async () => {
    db = await startTestDynamoDb();
    useLocalDynamoDb(db.endpoint, db.tableNames);
    store = await import('../../functions/commons/incidents/store.ts');
    query = await import('../../functions/commons/clients/query.ts');
    for (const [i, incidentId] of ids.entries()) {
      await store.putNewIncident({
        incidentId,
        modelId: modelOf(i),
        version: '1.0.0',
        evaluationId: 'e',
        evaluations: ['e'],
        reasons: [`Data drift in ${'x'.repeat(30_000)}`],
        status: isOpen(i) ? 'open' : 'resolved',
        currentStep: isOpen(i) ? 'investigate' : 'closed',
        history: [],
        openedAt: openedAt(i),
        updatedAt: openedAt(i),
        retrainingCycles: 0,
      });
    }
  }, 60_000);

  afterAll(async () => {
    await db?.close();
  });

  it('lists every open incident once, newest first, past the first page', async () => {
    const open = await store.listOpenIncidentIds();
    const expected = ids
      .map((incidentId, i) => ({ incidentId, modelId: modelOf(i) }))
      .filter((_, i) => isOpen(i));
    expect(open).toEqual(expected.reverse());
  });

  it('reads the open incidents alone: closed ones are not in their index, whatever the history', async () => {
    const { dynamoDb } = await import('../../functions/commons/clients/dynamodb.ts');
    /** What a read answers, and the index items DynamoDB read for it (ScannedCount, before any filter). */
    const scannedBy = async <T>(
      read: () => Promise<T>,
    ): Promise<{ result: T; scanned: number; indexes: string[] }> => {
      let scanned = 0;
      const indexes: string[] = [];
      const name = 'scannedCounter';
      dynamoDb.middlewareStack.add(
        (next) => async (args) => {
          const result = await next(args);
          indexes.push(String((args.input as { IndexName?: string }).IndexName));
          scanned += (result.output as { ScannedCount?: number }).ScannedCount ?? 0;
          return result;
        },
        { step: 'initialize', name },
      );
      try {
        return { result: await read(), scanned, indexes };
      } finally {
        dynamoDb.middlewareStack.remove(name);
      }
    };
    const expected = ids.filter((_, i) => isOpen(i)).reverse();
    // 40 of the 60 incidents are closed: no read of the open ones touches them.
    const ids_ = await scannedBy(() => store.listOpenIncidentIds());
    expect(ids_.result.map((i) => i.incidentId)).toEqual(expected);
    expect(ids_).toMatchObject({ scanned: 20 });
    const page = await scannedBy(() => store.listIncidentPage({ status: 'open', limit: 100 }));
    expect(page.result.incidents.map((i) => i.incidentId)).toEqual(expected);
    expect(page.result.nextKey).toBeUndefined();
    expect(page.scanned).toBe(20);
    const ofModel = await scannedBy(() => store.listIncidents({ status: 'open', modelId: 'odd' }));
    expect(ofModel.result.map((i) => i.incidentId)).toEqual(
      ids.filter((_, i) => isOpen(i) && i % 2).reverse(),
    );
    expect(ofModel.scanned).toBe(20);
    for (const read of [ids_, page, ofModel]) expect(new Set(read.indexes)).toEqual(new Set(['open']));
  });

  it('pages the open incidents in their own index, and refuses a nextToken of the whole listing there', async () => {
    const first = await store.listIncidentPage({ status: 'open', limit: 7 });
    expect(first.incidents.every((i) => i.status === 'open')).toBe(true);
    const key = first.nextKey as Record<string, string>;
    expect(store.isIncidentPageKey(key, 'open')).toBe(true);
    expect(store.isIncidentPageKey(key)).toBe(false);
    const rest = await store.listIncidentPage({ status: 'open', limit: 100, after: key });
    expect([...first.incidents, ...rest.incidents].map((i) => i.incidentId)).toEqual(
      ids.filter((_, i) => isOpen(i)).reverse(),
    );
    const whole = await store.listIncidentPage({ limit: 3 });
    expect(store.isIncidentPageKey(whole.nextKey as Record<string, string>, 'open')).toBe(false);
  });

  it('refuses the whole read when there are more open incidents than its bound', async () => {
    expect(await store.listOpenIncidentIds(20)).toHaveLength(20);
    await expect(store.listOpenIncidentIds(19)).rejects.toBeInstanceOf(query.ReadLimitError);
  });

  it("reads a model's incidents opened in a span, not the newest ones overall", async () => {
    // The even model's incidents opened from hour 10 to hour 20, both included: 10, 12, ..., 20.
    const span = await store.listIncidents({
      modelId: 'even',
      opened: { from: openedAt(10), to: openedAt(20) },
      limit: 100,
    });
    expect(span.map((incident) => incident.incidentId)).toEqual([20, 18, 16, 14, 12, 10].map((i) => ids[i]));
    const newest = await store.listIncidents({
      modelId: 'even',
      opened: { from: openedAt(10), to: openedAt(20) },
      limit: 2,
    });
    expect(newest.map((incident) => incident.incidentId)).toEqual([ids[20], ids[18]]);
    // A span whose end comes before its start (an evaluation created before its window began)
    // holds nothing, rather than a BETWEEN DynamoDB refuses.
    const reversed = await store.listIncidents({
      modelId: 'even',
      opened: { from: openedAt(20), to: openedAt(10) },
      limit: 100,
    });
    expect(reversed).toEqual([]);
  });

  it("reads a model's incidents opened in a period, with the fields a report counts, and refuses past a bound", async () => {
    // Hours 10 to 58 (59 excluded): 49 incidents of both models across pages, 24 of the odd one.
    const period = await store.listModelIncidentsOfPeriod('odd', openedAt(10), openedAt(59), 100);
    expect(period.map((incident) => incident.incidentId)).toEqual(
      ids.filter((_, i) => i % 2 && i >= 10 && i < 59).reverse(),
    );
    expect(period[0]).not.toHaveProperty('reasons');
    expect(period[0]).toMatchObject({ incidentId: ids[57], modelId: 'odd', kind: 'breach', status: 'open' });
    // The bound is on the index items the range holds (both models'), not on those kept.
    await expect(
      store.listModelIncidentsOfPeriod('odd', openedAt(10), openedAt(59), 48),
    ).rejects.toBeInstanceOf(query.ReadLimitError);
    expect(await store.listModelIncidentsOfPeriod('odd', openedAt(10), openedAt(59), 49)).toHaveLength(24);
  });

  it('answers a filtered page from a bounded number of index reads, and resumes where it stopped', async () => {
    /** Every page of a filtered listing, one index read each at most. */
    const pages = async (modelId: string, limit: number) => {
      const out: string[][] = [];
      let after: Record<string, string> | undefined;
      do {
        const page = await store.listIncidentPage({
          modelId,
          limit,
          maxReads: 1,
          ...(after ? { after } : {}),
        });
        out.push(page.incidents.map((incident) => incident.incidentId));
        after = page.nextKey as Record<string, string> | undefined;
        if (after) expect(store.isIncidentPageKey(after)).toBe(true);
      } while (after);
      return out;
    };
    const odd = await pages('odd', 100);
    expect(odd.length).toBeGreaterThan(1);
    expect(odd[0]?.length).toBeLessThan(30);
    expect(odd.flat()).toEqual(ids.filter((_, i) => i % 2).reverse());
    const none = await pages('nobody', 100);
    expect(none.length).toBeGreaterThan(1);
    expect(none.flat()).toEqual([]);
    // With the default bound, one request reads the whole (small) index.
    expect((await store.listIncidentPage({ modelId: 'odd', limit: 100 })).incidents).toHaveLength(30);
  });
});
