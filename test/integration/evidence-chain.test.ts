import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDynamoDb, type TestDynamoDb, useLocalDynamoDb } from '../support/dynalite.ts';

type Store = typeof import('../../functions/commons/evidence/store.ts');
type Chain = typeof import('../../functions/commons/evidence/chain.ts');

/** Appends to an incident's chain on DynamoDB (dynalite): conditional on the head, never forked. */
describe('evidence chain store', () => {
  let db: TestDynamoDb;
  let store: Store;
  let chain: Chain;

  beforeAll(async () => {
    db = await startTestDynamoDb();
    useLocalDynamoDb(db.endpoint, db.tableNames);
    store = await import('../../functions/commons/evidence/store.ts');
    chain = await import('../../functions/commons/evidence/chain.ts');
  });
  afterAll(async () => db?.close());

  it('leaves one unbroken chain when many writers append at once', async () => {
    // Prepare
    const incidentId = 'inc_race0000000000000000';
    const writers = 16;

    // Act: every writer reads the same head at first; all but one lose each round and retry
    const appended = await Promise.all(
      Array.from({ length: writers }, (_, i) =>
        store.appendEvent(incidentId, {
          type: 'request.sent',
          at: new Date().toISOString(),
          actor: 'workflow',
          data: { writer: i },
        }),
      ),
    );
    const events = await store.listEvents(incidentId);

    // Assess
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: writers }, (_, i) => i + 1));
    expect(chain.checkChain(events)).toEqual({ ok: true, head: events.at(-1)?.hash, seq: writers });
    expect(events.map((e) => e.data.writer).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: writers }, (_, i) => i),
    );
    expect(appended.map((e) => e.hash).sort()).toEqual(events.map((e) => e.hash).sort());
    expect((await store.headEvent(incidentId))?.hash).toBe(events.at(-1)?.hash);
  });

  it('keeps values DynamoDB numbers cannot hold, byte for byte', async () => {
    const incidentId = 'inc_numbers0000000000000';
    const event = await store.appendEvent(incidentId, {
      type: 'revalidation.report',
      at: '2026-01-01T00:00:00.000Z',
      actor: 'workflow',
      data: { pValue: 1e-300, big: 1.7976931348623157e308, empty: '', nested: { list: [0.1, -0] } },
    });

    const [stored] = await store.listEvents(incidentId);

    expect(stored).toEqual(event);
    expect(chain.hashEvent(stored as never)).toBe(event.hash);
  });

  it('keeps the first signature made for a head', async () => {
    const incidentId = 'inc_signed00000000000000';
    const first = { seq: 1, head: 'a'.repeat(64), signedAt: '2026-01-01T00:00:00.000Z', jws: 'first' };

    await store.keepSignedHead(incidentId, first);
    const second = await store.keepSignedHead(incidentId, { ...first, jws: 'second' });

    expect(second).toEqual(first);
    expect(await store.signedHeadAt(incidentId, 1)).toEqual(first);
    expect(await store.signedHeadAt(incidentId, 2)).toBeUndefined();
  });
});
