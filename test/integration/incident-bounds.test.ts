import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDynamoDb, type TestDynamoDb, useLocalDynamoDb } from '../support/dynalite.ts';

/** An incident item stays bounded however long it stays open (docs/architecture.md, "Item sizes"). */
describe('incident items', () => {
  let db: TestDynamoDb;
  let open: typeof import('../../functions/commons/incidents/open.ts');
  let store: typeof import('../../functions/commons/incidents/store.ts');
  let audit: typeof import('../../functions/commons/incidents/audit.ts');

  beforeAll(async () => {
    db = await startTestDynamoDb();
    useLocalDynamoDb(db.endpoint, db.tableNames);
    open = await import('../../functions/commons/incidents/open.ts');
    store = await import('../../functions/commons/incidents/store.ts');
    audit = await import('../../functions/commons/incidents/audit.ts');
  });
  afterAll(async () => {
    await db.close();
  });

  it('lists the first 100 breach evaluations and keeps every later one in the audit trail', async () => {
    const breach = (i: number) => ({
      modelId: 'long',
      version: '1.0.0',
      evaluationId: `e${i}`,
      reasons: ['drift'],
    });
    const { incident } = await open.openIncident(breach(0));
    for (let i = 1; i < store.MAX_LISTED_EVALUATIONS; i++) await open.openIncident(breach(i));

    const later = await open.openIncident(breach(store.MAX_LISTED_EVALUATIONS));
    const again = await open.openIncident(breach(3));

    expect(later.incident.incidentId).toBe(incident.incidentId);
    expect(later.incident.evaluations).toHaveLength(store.MAX_LISTED_EVALUATIONS);
    expect(again.incident.evaluations).toHaveLength(store.MAX_LISTED_EVALUATIONS);
    const attached = (await audit.listAudit(incident.incidentId)).filter(
      (e) => e.type === 'evaluation.attached',
    );
    expect(attached).toHaveLength(store.MAX_LISTED_EVALUATIONS);
    expect(attached.at(-1)?.details).toMatchObject({ evaluationId: 'e100', listed: false });
  });
});
