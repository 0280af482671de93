import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Harness } from './harness.ts';

/**
 * An answer that comes after its request lapsed (the step timed out: a reminder asks again) is
 * refused with 409 before anything is written, on the local engine.
 */
describe('answers to lapsed requests', () => {
  let h: Harness;
  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    h = await Harness.start({ schedulerTickSeconds: 0 });
  });
  afterAll(async () => h?.close());

  it('refuses a candidate posted after its retraining request lapsed, and writes nothing', async () => {
    // Prepare: an open incident, and the task of a retraining request that timed out still stored
    // (between its timeout and the reminder that replaces it).
    await h.registerModel('lapsed-candidate');
    const { incidentId } = await h.openIncident('lapsed-candidate');
    const { putCandidateTask, getCandidateTask } = await import(
      '../../../functions/commons/incidents/store.ts'
    );
    const lapsed = {
      taskToken: 'local-timed-out-token',
      requestedAt: new Date(Date.now() - 3_600_000).toISOString(),
      expiresAt: new Date(Date.now() - 1000).toISOString(),
      cycle: 1,
    };
    await putCandidateTask(incidentId, lapsed);

    // Act
    const posted = await h.call('POST', `/v1/incidents/${incidentId}/candidate`, {
      body: {
        version: '1.1.0',
        artifactUri: 's3://models/1.1.0',
        metrics: { accuracy: 0.93 },
        scopeChanged: false,
      },
    });

    // Assess: a conflict naming why; no version registered, no candidate kept, nothing audited,
    // the lapsed task left for its reminder.
    expect(posted.status, posted.text).toBe(409);
    expect(posted.body.error.issues).toEqual([
      { path: 'incidentId', message: expect.stringContaining('timed out') },
    ]);
    const model = await h.call('GET', '/v1/models/lapsed-candidate');
    expect(model.body.versions.map((v: { version: string }) => v.version)).toEqual(['1.0.0']);
    const incident = await h.incident(incidentId);
    expect(incident.candidate).toBeUndefined();
    expect(incident.candidates).toEqual([]);
    expect(incident.audit.map((e: { type: string }) => e.type)).not.toContain('candidate.submitted');
    expect(await getCandidateTask(incidentId)).toMatchObject(lapsed);
  });
});
