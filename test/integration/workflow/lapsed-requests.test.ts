import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { dynamoDb } from '../../../functions/commons/clients/dynamodb.ts';
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
  afterEach(() => vi.restoreAllMocks());

  const candidate = (version: string) => ({
    version,
    artifactUri: `s3://models/${version}`,
    metrics: { accuracy: 0.93 },
    scopeChanged: false,
  });

  /** A model whose incident waits for a candidate (a one-hour request), and that request's task. */
  async function waitingForCandidate(modelId: string) {
    await h.registerModel(modelId, { approvalTimeoutHours: 1 });
    const { incidentId } = await h.openIncident(modelId);
    const ask = await h.message('dsl@example.com', /Investigate the alert/);
    expect((await h.decide(ask, 'retrain', 'Retrain on recent data.')).status).toBe(200);
    await h.message('dev@example.com', /Retrain the model/);
    const { getCandidateTask } = await import('../../../functions/commons/incidents/store.ts');
    const task = await getCandidateTask(incidentId);
    if (!task) throw new Error('no candidate task');
    return { incidentId, task };
  }

  /**
   * Runs `hook` once, right after the first DynamoDB command that `matches` succeeds: the moment
   * a fault is injected into.
   */
  function afterCommand(matches: (command: object) => boolean, hook: () => Promise<void>): void {
    const send = dynamoDb.send.bind(dynamoDb);
    let fired = false;
    vi.spyOn(dynamoDb, 'send').mockImplementation((async (command: object) => {
      const result = await (send as (c: object) => Promise<unknown>)(command);
      if (!fired && matches(command)) {
        fired = true;
        await hook();
      }
      return result;
    }) as never);
  }
  const onCandidateTask = (type: typeof GetCommand | typeof DeleteCommand) => (command: object) =>
    command instanceof type && command.input.Key?.sk === '#CANDIDATE_TASK';

  /** What an incident and its model keep of a candidate. */
  async function kept(incidentId: string, modelId: string) {
    const incident = await h.incident(incidentId);
    const model = await h.call('GET', `/v1/models/${modelId}`);
    return {
      versions: model.body.versions.map((v: { version: string }) => v.version),
      candidate: incident.candidate,
      candidates: incident.candidates,
    };
  }

  it('keeps nothing of a candidate whose retraining step times out between the check and the resume', async () => {
    // Prepare: just after the submission took its task, the clock reaches the request's expiry
    // and the step times out in Step Functions.
    const { incidentId, task } = await waitingForCandidate('race-candidate');
    afterCommand(onCandidateTask(DeleteCommand), async () => {
      vi.useFakeTimers({ toFake: ['Date'], now: Date.parse(task.expiresAt) });
      await h.engine.sendTaskFailure(task.taskToken, 'States.Timeout', 'The task timed out');
    });

    // Act
    const posted = await h
      .call('POST', `/v1/incidents/${incidentId}/candidate`, { body: candidate('1.1.0') })
      .finally(() => vi.useRealTimers());
    vi.restoreAllMocks();
    const left = await kept(incidentId, 'race-candidate');
    await h.message('dev@example.com', /Reminder 1\/2: Retrain the model/);
    const again = await h.call('POST', `/v1/incidents/${incidentId}/candidate`, { body: candidate('1.1.0') });

    // Assess: a conflict; no version, no candidate kept; the audit trail tells the submission
    // and its lapse; the same candidate goes on after the reminder.
    expect(posted.status, posted.text).toBe(409);
    expect(posted.body.error.issues).toEqual([
      { path: 'incidentId', message: expect.stringContaining('nothing was kept') },
    ]);
    expect(left).toEqual({ versions: ['1.0.0'], candidate: undefined, candidates: [] });
    const audit = (await h.incident(incidentId)).audit.map((e: { type: string }) => e.type);
    expect(audit.filter((type: string) => type.startsWith('candidate.'))).toEqual([
      'candidate.submitted',
      'candidate.lapsed',
      'candidate.submitted',
    ]);
    expect(again.status, again.text).toBe(202);
    const after202 = await kept(incidentId, 'race-candidate');
    expect(after202.versions).toContain('1.1.0');
    expect(after202.candidates).toHaveLength(1);
  });

  it('keeps the candidate when a step that had not lapsed refuses it: the resume may have reached it', async () => {
    // Prepare: the engine answers "not waiting" an hour before the request expires, as Step
    // Functions answers a resume sent again after its first answer was lost.
    const { incidentId, task } = await waitingForCandidate('ambiguous-candidate');
    afterCommand(onCandidateTask(DeleteCommand), () =>
      h.engine.sendTaskFailure(task.taskToken, 'States.Timeout', 'The task is closed'),
    );

    // Act
    const posted = await h.call('POST', `/v1/incidents/${incidentId}/candidate`, {
      body: candidate('1.1.0'),
    });
    vi.restoreAllMocks();

    // Assess: a conflict saying the candidate is kept, and it is.
    expect(posted.status, posted.text).toBe(409);
    expect(posted.body.error.issues).toEqual([
      { path: 'incidentId', message: expect.stringContaining('kept as submitted') },
    ]);
    const left = await kept(incidentId, 'ambiguous-candidate');
    expect(left.versions).toContain('1.1.0');
    expect(left.candidate).toMatchObject({ version: '1.1.0' });
  });

  it('refuses a candidate whose request lapses between the check and the take, and writes nothing', async () => {
    // Prepare: right after the check read the waiting task, its expiry passes (Step Functions
    // times the step out; the reminder has not replaced the task yet).
    const { incidentId, task } = await waitingForCandidate('race-take');
    const { putCandidateTask } = await import('../../../functions/commons/incidents/store.ts');
    const lapsed = { ...task, expiresAt: new Date(Date.now() - 1000).toISOString() };
    afterCommand(onCandidateTask(GetCommand), () => putCandidateTask(incidentId, lapsed));

    // Act
    const posted = await h.call('POST', `/v1/incidents/${incidentId}/candidate`, {
      body: candidate('1.1.0'),
    });
    vi.restoreAllMocks();

    // Assess
    expect(posted.status, posted.text).toBe(409);
    expect(posted.body.error.issues).toEqual([
      { path: 'incidentId', message: expect.stringContaining('timed out') },
    ]);
    expect(await kept(incidentId, 'race-take')).toEqual({
      versions: ['1.0.0'],
      candidate: undefined,
      candidates: [],
    });
    const { getCandidateTask } = await import('../../../functions/commons/incidents/store.ts');
    expect(await getCandidateTask(incidentId)).toEqual(lapsed);
  });

  it('keeps nothing when the engine cannot be reached: 503, and the same candidate posted again goes on', async () => {
    // Prepare
    const { incidentId } = await waitingForCandidate('engine-candidate');
    vi.spyOn(h.engine, 'sendTaskSuccess').mockRejectedValueOnce(new Error('engine unavailable'));

    // Act
    const posted = await h.call('POST', `/v1/incidents/${incidentId}/candidate`, {
      body: candidate('1.1.0'),
    });
    const left = await kept(incidentId, 'engine-candidate');
    const again = await h.call('POST', `/v1/incidents/${incidentId}/candidate`, { body: candidate('1.1.0') });

    // Assess
    expect(posted.status, posted.text).toBe(503);
    expect(left).toEqual({ versions: ['1.0.0'], candidate: undefined, candidates: [] });
    expect(again.status, again.text).toBe(202);
    expect((await kept(incidentId, 'engine-candidate')).candidates).toHaveLength(1);
  });

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

  it('keeps no post-implementation review whose step times out between the claim and the resume', async () => {
    // Prepare: an incident at its post-implementation review; its step times out in Step
    // Functions just after the Data Science Lead's decision was claimed.
    const { incidentId } = await waitingForCandidate('race-pir');
    expect(
      (await h.call('POST', `/v1/incidents/${incidentId}/candidate`, { body: candidate('1.1.0') })).status,
    ).toBe(202);
    expect(
      (await h.decide(await h.message('qa@example.com', /QA validation/), 'approve', 'Passed.')).status,
    ).toBe(200);
    expect(
      (await h.decide(await h.message('ops@example.com', /Operations verification/), 'confirm')).status,
    ).toBe(200);
    const ask = await h.message('dsl@example.com', /Post-implementation review/);
    const approvalId = new URL(ask.links[0] as string).pathname.split('/').pop() as string;
    const { getApproval } = await import('../../../functions/commons/approvals/store.ts');
    const waiting = await getApproval(approvalId);
    if (!waiting) throw new Error('no approval');
    afterCommand(
      (command) =>
        command instanceof UpdateCommand &&
        command.input.Key?.pk === `APPROVAL#${approvalId}` &&
        String(command.input.UpdateExpression).includes(':decided'),
      async () => {
        vi.useFakeTimers({ toFake: ['Date'], now: Date.parse(waiting.approval.expiresAt) });
        await h.engine.sendTaskFailure(waiting.taskToken, 'States.Timeout', 'The task timed out');
      },
    );
    const review = {
      summary: 'Input drift after a campaign.',
      rootCause: 'A new acquisition channel.',
      lessonsLearned: 'Watch campaign calendars.',
      actions: 'Share campaign dates (owner: DSL).',
    };

    // Act
    const decided = await h.decide(ask, 'submit', '', review).finally(() => vi.useRealTimers());
    vi.restoreAllMocks();
    const incident = await h.incident(incidentId);

    // Assess: refused as lapsed; the review is not on the incident; the approval and the audit
    // trail keep the decision as lapsed; the reminder asks for the review again.
    expect(decided.status, decided.text).toBe(410);
    expect(incident.pir).toBeUndefined();
    expect((await getApproval(approvalId))?.approval).toMatchObject({ status: 'lapsed', form: review });
    expect(
      incident.audit
        .filter((e: { step?: string }) => e.step === 'pir')
        .map((e: { type: string }) => e.type)
        .filter((type: string) => type.startsWith('decision')),
    ).toEqual(['decision', 'decision.lapsed']);
    await h.message('dsl@example.com', /Reminder 1\/2: Post-implementation review/);
  });

  it('refuses a decision in the last moments of its request, and one whose request lapses before the claim, writing nothing', async () => {
    // Prepare: an investigation asked for an hour (a 30-second margin before its expiry).
    await h.registerModel('late-decision', { approvalTimeoutHours: 1 });
    const { incidentId } = await h.openIncident('late-decision');
    const ask = await h.message('dsl@example.com', /Investigate the alert/);
    const approvalId = new URL(ask.links[0] as string).pathname.split('/').pop() as string;
    const { getApproval } = await import('../../../functions/commons/approvals/store.ts');
    const stored = await getApproval(approvalId);
    if (!stored) throw new Error('no approval');
    const { page, token } = await h.open(ask);
    expect(page.status).toBe(200);
    const form = { token: token as string, decision: 'retrain', comment: 'Drift on age.' };
    const post = () => h.call('POST', ask.links[0] as string, { key: null, form });

    // Act: the form posted 10 seconds before the request expires (the clock set there).
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse(stored.approval.expiresAt) - 10_000 });
    const late = await post().finally(() => vi.useRealTimers());
    // Act: posted in time, but the request reaches its last moments between the read and the
    // claim (its expiry brought 10 seconds ahead of now in between).
    afterCommand(
      (command) => command instanceof GetCommand && command.input.Key?.pk === `APPROVAL#${approvalId}`,
      async () => {
        await dynamoDb.send(
          new UpdateCommand({
            TableName: process.env.GOVERNANCE_TABLE,
            Key: { pk: `APPROVAL#${approvalId}`, sk: '#APPROVAL' },
            UpdateExpression: 'SET expiresAt = :soon',
            ExpressionAttributeValues: { ':soon': new Date(Date.now() + 10_000).toISOString() },
          }),
        );
      },
    );
    const raced = await post();
    vi.restoreAllMocks();

    // Assess: both 410, the request still pending, no decision in the audit trail.
    expect(late.status, late.text).toBe(410);
    expect(late.text).toContain('too soon for a decision');
    expect(raced.status, raced.text).toBe(410);
    expect((await getApproval(approvalId))?.approval.status).toBe('pending');
    const incident = await h.incident(incidentId);
    expect(incident.audit.map((e: { type: string }) => e.type)).not.toContain('decision');
    expect(incident.currentStep).toBe('investigate');
  });
});
