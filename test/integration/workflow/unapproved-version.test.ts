import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { endedListing } from './ended-listing.ts';
import { approvers, Harness } from './harness.ts';
import { openListing } from './open-listing.ts';

/**
 * Predictions served by a version that is not approved: the ingest request that brings the
 * first such batch opens an `unapproved_version` incident and starts its workflow; the Data
 * Science Lead reviews the version as a candidate, or has production restored, which the
 * scheduled evaluation confirms from the served versions of a whole window.
 */
describe('unapproved versions', () => {
  let h: Harness;
  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    h = await Harness.start();
  });
  afterAll(async () => h?.close());

  let seed = 11;
  const random = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const records = (n: number, timestamp?: number) =>
    Array.from({ length: n }, () => ({
      ...(timestamp === undefined ? {} : { timestamp }),
      features: {
        age: Math.round(30 + 20 * random()),
        plan: ['basic', 'plus', 'pro'][Math.floor(random() * 3)],
      },
      prediction: random() < 0.3 ? 'churn' : 'stay',
    }));

  /** A model with 1.0.0 in production, a one-minute window evaluated every minute, and a baseline. */
  async function registerModel(modelId: string, governance: Record<string, number> = {}): Promise<void> {
    await h.registerModel(modelId);
    const update = await h.call('PUT', `/v1/models/${modelId}`, {
      body: {
        name: `Model ${modelId}`,
        owner: 'ds@example.com',
        task: 'classification',
        features: [
          { name: 'age', type: 'numerical' },
          { name: 'plan', type: 'categorical' },
        ],
        schedule: { every: 'PT1M', window: 'PT1M', minSamples: 50 },
        thresholds: { performance: { accuracy: { min: 0.8, maxRelativeDrop: 0.05 } } },
        approvers,
        governance: { approvalTimeoutHours: 0.05, stabilisationSeconds: 0, ...governance },
      },
    });
    expect(update.status, update.text).toBe(200);
    const baseline = await h.call('PUT', `/v1/models/${modelId}/baseline`, {
      body: { records: records(1500), metrics: { accuracy: 0.9 } },
    });
    expect(baseline.status, baseline.text).toBe(201);
  }

  const send = (modelId: string, body: Record<string, unknown>) =>
    h.call('POST', `/v1/models/${modelId}/predictions`, { body });

  it('opens the incident within the ingest request that brings the first batch, once, and lists later batches on it', async () => {
    // Prepare
    await registerModel('uv-open');

    // Act
    const production = await send('uv-open', {
      batchId: 'b-prod',
      modelVersion: '1.0.0',
      records: records(10),
    });
    const batch = { batchId: 'b-1', modelVersion: '1.3.0-online', records: records(20) };
    const first = await send('uv-open', batch);
    const incident = (await h.call('GET', `/v1/incidents/${first.body.incidentId}`)).body;
    const replayed = await send('uv-open', batch);
    const second = await send('uv-open', { modelVersion: '1.4.0', records: records(5) });
    const invalid = await send('uv-open', { modelVersion: 'latest', records: records(5) });
    const listed = await h.call('GET', '/v1/incidents?modelId=uv-open&kind=unapproved_version');

    // Assess
    expect(production.status).toBe(202);
    expect(production.body.incidentId).toBeUndefined();
    expect(first.status, first.text).toBe(202);
    expect(first.body).toMatchObject({ accepted: 20, incidentId: expect.stringMatching(/^inc_/) });
    expect(incident).toMatchObject({
      kind: 'unapproved_version',
      status: 'open',
      version: '1.0.0',
      evaluations: [],
      details: {
        servedVersion: '1.3.0-online',
        firstBatch: 'b-1',
        predictions: 20,
        approvedVersions: ['1.0.0'],
      },
      batches: ['b-1 (1.3.0-online)'],
      batchCount: 1,
      executionArn: expect.stringContaining(first.body.incidentId),
    });
    expect(incident.reasons[0]).toContain('1.3.0-online');
    expect(incident.reasons[0]).toContain('b-1');
    expect(replayed.body).toEqual({ ...first.body, replayed: true });
    expect(second.body.incidentId).toBe(first.body.incidentId);
    expect(invalid.status).toBe(400);
    expect(JSON.stringify(invalid.body.error.issues)).toContain('modelVersion');
    expect(
      listed.body.incidents.map((i: { incidentId: string; kind: string }) => [i.incidentId, i.kind]),
    ).toEqual([[first.body.incidentId, 'unapproved_version']]);
    const after = await h.incident(first.body.incidentId);
    expect(after.batchCount).toBe(2);
    expect(after.batches?.[1]).toMatch(/^[\w-]+ \(1\.4\.0\)$/);
    expect(after.audit.filter((e) => e.type === 'unapproved_version.batch')).toHaveLength(1);
    expect(after.audit[0]).toMatchObject({
      type: 'incident.opened',
      actor: 'ingest',
      details: { kind: 'unapproved_version', servedVersion: '1.3.0-online', firstBatch: 'b-1' },
    });
    await h.message('dsl@example.com', /Review a version that is not approved/);
  });

  it('accepts the batch when the workflow cannot start, and the next scheduled run starts it', async () => {
    // Prepare
    await registerModel('uv-engine');
    const starts = vi
      .spyOn(h.engine, 'startExecution')
      .mockRejectedValueOnce(new Error('engine unavailable'));
    const { runScheduledEvaluations } = await import('../../../functions/commons/evaluation/schedule.ts');

    // Act
    const served = await send('uv-engine', { modelVersion: '3.0.0', records: records(10) });
    const waiting = await h.incident(served.body.incidentId);
    await runScheduledEvaluations(new Date());
    const started = await h.incident(served.body.incidentId);

    // Assess
    expect(served.status).toBe(202);
    expect(waiting.executionArn).toBeUndefined();
    expect(started.executionArn).toContain(served.body.incidentId);
    expect(starts).toHaveBeenCalledTimes(2);
    starts.mockRestore();
    await h.message('dsl@example.com', /Review a version that is not approved/);
  });

  it('closes it as resolved when the Data Science Lead reviews the version through the candidate path', async () => {
    // Prepare
    await registerModel('uv-review');
    const served = await send('uv-review', { modelVersion: '1.1.0', records: records(30) });
    const incidentId = served.body.incidentId as string;

    // Act
    const ask = await h.message('dsl@example.com', /Review a version that is not approved/);
    expect((await h.decide(ask, 'review', 'A nightly self-retrain; review it.')).status).toBe(200);
    expect((await h.submitCandidate(incidentId, { version: '1.1.0', accuracy: 0.91 })).status).toBe(202);
    expect(
      (await h.decide(await h.message('qa@example.com', /QA validation/), 'approve', 'Passed.')).status,
    ).toBe(200);
    expect(
      (await h.decide(await h.message('ops@example.com', /Operations verification/), 'confirm')).status,
    ).toBe(200);
    const pir = {
      summary: 'The model retrained itself overnight.',
      rootCause: 'Online learning was left on in production.',
      lessonsLearned: 'Self-updates go through review.',
      actions: 'Online learning writes candidates only (owner: MLOps).',
    };
    expect(
      (await h.decide(await h.message('dsl@example.com', /Post-implementation review/), 'submit', '', pir))
        .status,
    ).toBe(200);
    expect(
      (await h.decide(await h.message('irb@example.com', /Sign-off of the post/), 'approve')).status,
    ).toBe(200);
    const incident = await h.incidentWhen(incidentId, (i) => i.status !== 'open');
    const now = await send('uv-review', { modelVersion: '1.1.0', records: records(5) });

    // Assess
    expect(incident).toMatchObject({ kind: 'unapproved_version', status: 'resolved', currentStep: 'closed' });
    expect(incident.promotion).toMatchObject({ version: '1.1.0', previousVersion: '1.0.0' });
    expect((await h.settled(incidentId))?.states.slice(0, 8)).toEqual([
      'Prepare',
      'Which kind of incident?',
      'Review unapproved version',
      'Review or revert?',
      'Cycle limit reached?',
      'Count retraining cycle',
      'Announce retraining',
      'Await candidate',
    ]);
    expect((await h.call('GET', '/v1/models/uv-review')).body.productionVersion).toBe('1.1.0');
    expect(now.body.incidentId).toBeUndefined();
  });

  it('closes it as reverted once a whole window after the revert was served by production alone', async () => {
    // Prepare
    await registerModel('uv-revert');
    const served = await send('uv-revert', { modelVersion: '2.0.0', records: records(30) });
    const incidentId = served.body.incidentId as string;
    const ask = await h.message('dsl@example.com', /Review a version that is not approved/);
    expect((await h.decide(ask, 'revert', 'Not validated: restore 1.0.0.')).status).toBe(200);
    const restore = await h.message('mlops@example.com', /Restore production version 1\.0\.0/);
    await h.message('ops@example.com', /Restore production version 1\.0\.0/);
    await h.incidentWhen(incidentId, (i) => i.currentStep === 'revert');
    // Two one-minute windows that begin after the revert was asked.
    const asked = Date.now();
    const first = (Math.floor((asked + 120_000) / 60_000) - 1) * 60_000;
    const second = first + 60_000;
    const { runScheduledEvaluations } = await import('../../../functions/commons/evaluation/schedule.ts');

    // Act: the first window still has a batch of 2.0.0; the second has production alone.
    expect(
      (await send('uv-revert', { modelVersion: '1.0.0', records: records(80, first + 5_000) })).status,
    ).toBe(202);
    const late = await send('uv-revert', { modelVersion: '2.0.0', records: records(10, first + 6_000) });
    const mixed = await runScheduledEvaluations(new Date(second + 500));
    const stillOpen = await h.incident(incidentId);
    expect(
      (await send('uv-revert', { modelVersion: '1.0.0', records: records(80, second + 5_000) })).status,
    ).toBe(202);
    const clean = await runScheduledEvaluations(new Date(second + 60_500));
    const incident = await h.incidentWhen(incidentId, (i) => i.status !== 'open');

    // Assess
    expect(restore.text).toContain('2.0.0');
    expect(late.body.incidentId).toBe(incidentId);
    const mixedRun = mixed.find((run) => run.modelId === 'uv-revert');
    const mixedEvaluation = (await h.call('GET', `/v1/evaluations/${mixedRun?.evaluationId}`)).body;
    expect(mixedEvaluation.versions).toEqual([
      { version: '1.0.0', predictions: 80 },
      { version: '2.0.0', predictions: 10 },
    ]);
    expect(stillOpen).toMatchObject({ status: 'open', currentStep: 'revert' });
    const cleanRun = clean.find((run) => run.modelId === 'uv-revert');
    const cleanEvaluation = (await h.call('GET', `/v1/evaluations/${cleanRun?.evaluationId}`)).body;
    expect(cleanEvaluation.versions).toEqual([{ version: '1.0.0', predictions: 80 }]);
    expect(incident).toMatchObject({ kind: 'unapproved_version', status: 'reverted', currentStep: 'closed' });
    expect(incident.history).toContainEqual(
      expect.objectContaining({ step: 'revert', event: 'left', outcome: 'reverted' }),
    );
    expect(incident.audit).toContainEqual(
      expect.objectContaining({
        type: 'step.left',
        step: 'revert',
        details: expect.objectContaining({
          evaluationId: cleanRun?.evaluationId,
          productionVersion: '1.0.0',
        }),
      }),
    );
    expect((await h.settled(incidentId))?.states).toEqual([
      'Prepare',
      'Which kind of incident?',
      'Review unapproved version',
      'Review or revert?',
      'Await revert',
      'Record revert',
      'Close as reverted',
      'Sign evidence',
    ]);
    const report = await h.call('GET', `/v1/evaluations/${mixedRun?.evaluationId}/report`);
    expect(report.text).toContain('Served versions');
    expect(report.text).toMatch(/1\.0\.0 \(production\)<\/td><td class="num">80</);
    expect(report.text).toMatch(/2\.0\.0<\/td><td class="num">10</);
    const kpi = (await h.call('GET', '/v1/models/uv-revert/report')).body;
    expect(kpi.versions.served.map((v: { version: string }) => v.version)).toEqual(['1.0.0', '2.0.0']);
    expect(kpi.versions.unapprovedVersionIncidents).toEqual([
      expect.objectContaining({ incidentId, servedVersion: '2.0.0', status: 'reverted' }),
    ]);
    expect(kpi.incidentsByOutcome.reverted).toBe(1);
    const reverted = await h.call('GET', '/v1/incidents?status=reverted&kind=unapproved_version');
    expect(reverted.body.incidents.map((i: { incidentId: string }) => i.incidentId)).toEqual([incidentId]);
  });
  it('settles a revert while batches without a modelVersion arrive: they neither prove nor block it', async () => {
    // Prepare: the revert asked for, and two one-minute windows that begin after it.
    await registerModel('uv-revert-unversioned');
    const served = await send('uv-revert-unversioned', { modelVersion: '2.0.0', records: records(30) });
    const incidentId = served.body.incidentId as string;
    const ask = await h.message('dsl@example.com', /Review a version that is not approved/);
    expect((await h.decide(ask, 'revert', 'Restore 1.0.0; some hosts send no version.')).status).toBe(200);
    const restore = await h.message('mlops@example.com', /Restore production version 1\.0\.0/);
    await h.incidentWhen(incidentId, (i) => i.currentStep === 'revert');
    const first = (Math.floor((Date.now() + 120_000) / 60_000) - 1) * 60_000;
    const second = first + 60_000;
    const { runScheduledEvaluations } = await import('../../../functions/commons/evaluation/schedule.ts');

    // Act: the first window holds unversioned predictions only; the second production's and
    // unversioned ones.
    expect((await send('uv-revert-unversioned', { records: records(80, first + 5_000) })).status).toBe(202);
    const unversioned = await runScheduledEvaluations(new Date(second + 500));
    const stillOpen = await h.incident(incidentId);
    expect(
      (await send('uv-revert-unversioned', { modelVersion: '1.0.0', records: records(70, second + 5_000) }))
        .status,
    ).toBe(202);
    expect((await send('uv-revert-unversioned', { records: records(20, second + 6_000) })).status).toBe(202);
    const mixed = await runScheduledEvaluations(new Date(second + 60_500));
    const incident = await h.incidentWhen(incidentId, (i) => i.status !== 'open');

    // Assess: no proof from unversioned predictions alone; production's with unversioned ones
    // settle it, and the unversioned count is on the record.
    expect(restore.text).toContain('without a modelVersion');
    const unversionedRun = unversioned.find((run) => run.modelId === 'uv-revert-unversioned');
    const unversionedEvaluation = (await h.call('GET', `/v1/evaluations/${unversionedRun?.evaluationId}`))
      .body;
    expect(unversionedEvaluation.versions).toEqual([{ version: 'none', predictions: 80 }]);
    expect(stillOpen).toMatchObject({ status: 'open', currentStep: 'revert' });
    const mixedRun = mixed.find((run) => run.modelId === 'uv-revert-unversioned');
    const mixedEvaluation = (await h.call('GET', `/v1/evaluations/${mixedRun?.evaluationId}`)).body;
    expect(mixedEvaluation.versions).toEqual([
      { version: '1.0.0', predictions: 70 },
      { version: 'none', predictions: 20 },
    ]);
    expect(incident).toMatchObject({ status: 'reverted', currentStep: 'closed' });
    expect(incident.audit).toContainEqual(
      expect.objectContaining({
        type: 'step.left',
        step: 'revert',
        details: expect.objectContaining({
          evaluationId: mixedRun?.evaluationId,
          productionVersion: '1.0.0',
          productionPredictions: 70,
          unversionedPredictions: 20,
        }),
      }),
    );
  });

  it('waits long enough for a whole window to prove a revert, and keeps no task token once the incident ends', async () => {
    // Prepare: answers due within 36 seconds, one-minute windows evaluated every minute.
    await registerModel('uv-revert-wait', { approvalTimeoutHours: 0.01 });
    const served = await send('uv-revert-wait', { modelVersion: '2.0.0', records: records(30) });
    const incidentId = served.body.incidentId as string;
    const ask = await h.message('dsl@example.com', /Review a version that is not approved/);
    expect((await h.decide(ask, 'revert', 'Restore 1.0.0.')).status).toBe(200);
    const restore = await h.message('mlops@example.com', /Restore production version 1\.0\.0/);
    const { dynamoDb } = await import('../../../functions/commons/clients/dynamodb.ts');
    const { GetCommand } = await import('@aws-sdk/lib-dynamodb');
    const revertTask = async () =>
      (
        await dynamoDb.send(
          new GetCommand({
            TableName: process.env.GOVERNANCE_TABLE,
            Key: { pk: `INCIDENT#${incidentId}`, sk: '#REVERT_TASK' },
            ConsistentRead: true,
          }),
        )
      ).Item;
    const task = await revertTask();

    // Act: the step ends on a failure (the failure path closes the incident).
    await h.engine.sendTaskFailure(task?.taskToken as string, 'Vigil.Test', 'The step failed');
    const incident = await h.incidentWhen(incidentId, (i) => i.status !== 'open');
    const execution = await h.settled(incidentId);

    // Assess: the step waited for a window (one minute), a schedule period (one minute) and a
    // scheduler tick, not the 36-second answer time; once the incident failed, its task token
    // is gone.
    expect(Date.parse(task?.expiresAt) - Date.parse(task?.requestedAt)).toBeGreaterThanOrEqual(180_000);
    expect(restore.text).toContain(`Vigil waits until ${task?.expiresAt}`);
    expect(incident).toMatchObject({ status: 'failed' });
    expect(execution?.states.slice(-2)).toEqual(['Record failure', 'Failed']);
    expect(await revertTask()).toBeUndefined();
  });

  it('closes it as reverted when an evaluation asked for on demand shows production alone serving', async () => {
    // Prepare: the revert asked for, then a one-minute window that begins after it, served by
    // production alone.
    await registerModel('uv-revert-now');
    const served = await send('uv-revert-now', { modelVersion: '2.0.0', records: records(30) });
    const incidentId = served.body.incidentId as string;
    const ask = await h.message('dsl@example.com', /Review a version that is not approved/);
    expect((await h.decide(ask, 'revert', 'Restore 1.0.0 now.')).status).toBe(200);
    await h.incidentWhen(incidentId, (i) => i.currentStep === 'revert');
    const window = (Math.floor(Date.now() / 60_000) + 1) * 60_000;
    expect(
      (await send('uv-revert-now', { modelVersion: '1.0.0', records: records(80, window + 5_000) })).status,
    ).toBe(202);

    // Act: an evaluation asked for within that window (the clock set there).
    vi.useFakeTimers({ toFake: ['Date'], now: window + 30_000 });
    const evaluation = await h.call('POST', '/v1/models/uv-revert-now/evaluations');
    vi.useRealTimers();
    const incident = await h.incidentWhen(incidentId, (i) => i.status !== 'open');

    // Assess
    expect(evaluation.status, evaluation.text).toBe(201);
    expect(evaluation.body).toMatchObject({
      windowStart: new Date(window).toISOString(),
      versions: [{ version: '1.0.0', predictions: 80 }],
    });
    expect(incident).toMatchObject({ status: 'reverted', currentStep: 'closed' });
    expect(incident.audit).toContainEqual(
      expect.objectContaining({
        type: 'step.left',
        step: 'revert',
        details: expect.objectContaining({ evaluationId: evaluation.body.evaluationId }),
      }),
    );
  });

  it('lists as open exactly the incidents still open: every path that ended one took it out of the open index', async () => {
    const { listed, open, ended } = await openListing(h);
    expect(listed).toEqual(open);
    expect(ended).toEqual(expect.arrayContaining(['resolved', 'reverted', 'failed']));
  });

  it("puts every ended incident in its model's partition of the ended index, at its end time", async () => {
    const { ended, indexed } = await endedListing();
    expect(ended.length).toBeGreaterThan(0);
    expect(indexed).toEqual(ended);
  });
});
