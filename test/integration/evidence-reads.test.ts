import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDynamoDb, type TestDynamoDb, useLocalDynamoDb } from '../support/dynalite.ts';

/**
 * Finding the latest event of a type in an incident's chain reads it from its end, page after
 * page, on dynalite with a chain of more than one DynamoDB page.
 */
describe("the latest event of a type in an incident's chain", () => {
  let db: TestDynamoDb;
  let store: typeof import('../../functions/commons/evidence/store.ts');
  let audit: typeof import('../../functions/commons/incidents/audit.ts');
  const incidentId = 'inc_chain';
  const at = (i: number) => new Date(Date.parse('2026-04-01T00:00:00Z') + i * 1000).toISOString();

  beforeAll(async () => {
    db = await startTestDynamoDb();
    useLocalDynamoDb(db.endpoint, db.tableNames);
    store = await import('../../functions/commons/evidence/store.ts');
    audit = await import('../../functions/commons/incidents/audit.ts');
    // 50 events of ~30 KB: about 1.5 MB. Re-validation reports at 2 and 5, an agent's decisions at
    // 3 and 4, everything after them attached evaluations.
    for (let i = 0; i < 50; i++) {
      const type =
        i === 2 || i === 5
          ? 'revalidation.report'
          : i === 3 || i === 4
            ? 'agent.decided'
            : 'evaluation.attached';
      await store.appendEvent(incidentId, {
        type,
        at: at(i),
        actor: 'workflow',
        data: { details: { n: i, approvalId: `apr_${i}`, padding: 'x'.repeat(30_000) } },
      });
    }
  }, 60_000);

  afterAll(async () => {
    await db?.close();
  });

  it('finds the latest event of a type past the pages of newer events', async () => {
    const report = await store.findLatestEvent(incidentId, 'revalidation.report');
    expect(report?.seq).toBe(6); // seq counts from 1
    const events = await store.listEvents(incidentId);
    expect(report?.hash).toBe(events[5]?.hash);
    expect(await audit.reviewedEvidence(incidentId, 'qa')).toEqual({
      revalidationReport: { seq: 6, hash: events[5]?.hash },
    });
  });

  it('finds the latest one that matches, and none when nothing does', async () => {
    const decided = await audit.findLatestAudit(
      incidentId,
      'agent.decided',
      (e) => e.details?.approvalId === 'apr_3',
    );
    expect(decided).toMatchObject({ seq: 4, at: at(3), type: 'agent.decided' });
    expect(await audit.findLatestAudit(incidentId, 'agent.decided', () => false)).toBeUndefined();
    expect(await store.findLatestEvent(incidentId, 'incident.closed')).toBeUndefined();
  });
});
