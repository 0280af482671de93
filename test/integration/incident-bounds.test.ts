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
    for (let i = 1; i < store.MAX_LISTED_EVALUATIONS - 1; i++) {
      expect(await store.attachEvaluation(incident.incidentId, `e${i}`)).toBe('attached');
    }
    await open.openIncident(breach(store.MAX_LISTED_EVALUATIONS - 1));

    const later = await open.openIncident(breach(store.MAX_LISTED_EVALUATIONS));
    const again = await open.openIncident(breach(3));

    expect(later.incident.incidentId).toBe(incident.incidentId);
    expect(later.incident.evaluations).toHaveLength(store.MAX_LISTED_EVALUATIONS);
    expect(again.incident.evaluations).toHaveLength(store.MAX_LISTED_EVALUATIONS);
    const attached = (await audit.listAudit(incident.incidentId)).filter(
      (e) => e.type === 'evaluation.attached',
    );
    expect(attached.map((e) => e.details)).toEqual([
      expect.objectContaining({ evaluationId: 'e99' }),
      expect.objectContaining({ evaluationId: 'e100', listed: false }),
    ]);
  });

  it('keeps every candidate and re-validation report in an item of its own, the largest ones included', async () => {
    const view = await import('../../functions/commons/incidents/view.ts');
    const { incident } = await open.openIncident({
      modelId: 'cycles',
      version: '1.0.0',
      evaluationId: 'e0',
      reasons: ['drift'],
    });
    const metrics = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`m${i}`.padEnd(64, 'x'), 1 / 3]),
    );
    const candidate = (cycle: number) => ({
      version: `1.${cycle}.0-${'r'.repeat(100)}`,
      artifactUri: `s3://${'€'.repeat(2040)}`,
      metrics,
      scopeChanged: false,
      notes: '€'.repeat(10_000),
      productionVersion: '1.0.0',
      cycle,
      submittedAt: new Date(Date.UTC(2026, 0, 1, 0, cycle)).toISOString(),
      submittedBy: 'admin',
    });
    const report = (cycle: number) => ({
      candidateVersion: candidate(cycle).version,
      productionVersion: '1.0.0',
      passed: false,
      checks: Object.keys(metrics).flatMap((metric) =>
        (['min', 'max', 'maxRelativeDrop'] as const).map((rule) => ({
          metric,
          rule,
          limit: 0.1,
          actual: 1 / 3,
          baseline: 2 / 3,
          passed: false,
          message: `${metric} drops 50 % from production's 0.6666666666666666 (at most 10 % drop accepted)`,
        })),
      ),
      comparison: Object.keys(metrics).map((metric) => ({ metric, candidate: 1 / 3, production: 2 / 3 })),
      checkedAt: candidate(cycle).submittedAt,
    });
    for (let cycle = 1; cycle <= 25; cycle++) {
      await store.addIncidentRecord(
        incident.incidentId,
        'candidate',
        candidate(cycle).submittedAt,
        candidate(cycle),
      );
      await store.addIncidentRecord(
        incident.incidentId,
        'validation',
        report(cycle).checkedAt,
        report(cycle),
      );
    }

    const detail = await view.incidentDetail(incident.incidentId);
    const candidates = await store.listIncidentRecords(incident.incidentId, 'candidate');
    const reports = await store.listIncidentRecords(incident.incidentId, 'validation');

    expect(candidates.map((c) => c.cycle)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(reports).toHaveLength(25);
    expect(candidates[24]).toEqual(candidate(25));
    // The detail answers the first half megabyte of each, and a token to read on.
    expect(detail.candidates).toEqual(candidates.slice(0, detail.candidates?.length));
    expect(detail.candidatesNextToken).toBeDefined();
    expect(detail.validationReportsNextToken).toBeDefined();
    const stored = await store.getIncident(incident.incidentId);
    expect(stored?.candidates).toBeUndefined();
    expect(Buffer.byteLength(JSON.stringify(stored))).toBeLessThan(4 * 1024);
  });

  it('stops growing its step history at 200 entries and still applies the rest of each update', async () => {
    const { incident } = await open.openIncident({
      modelId: 'steps',
      version: '1.0.0',
      evaluationId: 'e0',
      reasons: ['drift'],
    });
    const entry = (i: number) => ({ step: 'qa', event: 'entered' as const, at: new Date(i).toISOString() });
    const room = store.INCIDENT_LIST_LIMITS.history ?? 0;
    const filled = await store.updateIncident(incident.incidentId, {
      history: Array.from({ length: room - incident.history.length }, (_, i) => entry(i)),
    });

    const after = await store.updateIncident(incident.incidentId, {
      set: { currentStep: 'legal' },
      history: [entry(room)],
    });

    expect(filled.history).toHaveLength(room);
    expect(filled.truncated).toBeUndefined();
    expect(after.history).toHaveLength(room);
    expect(after).toMatchObject({ currentStep: 'legal', truncated: ['history'] });
    await store.updateIncident(incident.incidentId, { set: { status: 'resolved' } });
    await expect(store.updateIncident(incident.incidentId, { history: [entry(1)] })).rejects.toThrow(
      store.IncidentNotOpenError,
    );
  });

  it("keeps the first 4,000 characters of a failure's error and cause", async () => {
    const steps = await import('../../functions/commons/incidents/steps.ts');
    const { incident } = await open.openIncident({
      modelId: 'broken',
      version: '1.0.0',
      evaluationId: 'e0',
      reasons: ['drift'],
    });
    const cause = `${'x'.repeat(3998)}😀${'y'.repeat(40_000)}`;

    // No model is registered, so nobody is alerted; the incident is failed all the same.
    await steps.failIncident(incident.incidentId, 'States.TaskFailed', cause);

    const failed = await store.getIncident(incident.incidentId);
    expect(failed?.status).toBe('failed');
    expect(failed?.failure?.error).toBe('States.TaskFailed');
    expect(failed?.failure?.cause).toBe(`${'x'.repeat(3998)}…`);
  });
});
