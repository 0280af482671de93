import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { endedListing } from './ended-listing.ts';
import { Harness } from './harness.ts';
import { openListing } from './open-listing.ts';

/**
 * The real governance definition (statemachines/governance.asl.json) on the local engine,
 * through every path: each test registers its own model, opens an incident as the evaluation
 * does, and answers every email the way its recipient would (link, page, form; the candidate
 * over the API). Human-step timeouts and the stabilisation wait come from each model's settings.
 */
describe('governance workflow paths', () => {
  let h: Harness;
  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    h = await Harness.start();
  });
  afterAll(async () => h?.close());

  const pir = {
    summary: 'Input drift on age after the spring campaign; retrained on recent data.',
    rootCause: 'A new acquisition channel brought younger customers.',
    lessonsLearned: 'Watch campaign calendars; alert the DSL before launches.',
    actions: 'Marketing shares campaign dates with MLOps (owner: DSL).',
  };

  function eventsOf(incidentId: string) {
    return h.engine.events.filter(
      (event) => (event.detail as { incidentId: string }).incidentId === incidentId,
    );
  }

  /** Operations confirms, the DSL submits the review, the AI-IRB Liaison approves it. */
  async function verifyAndReview(): Promise<void> {
    expect(
      (await h.decide(await h.message('ops@example.com', /Operations verification/), 'confirm')).status,
    ).toBe(200);
    expect(
      (await h.decide(await h.message('dsl@example.com', /Post-implementation review/), 'submit', '', pir))
        .status,
    ).toBe(200);
    expect(
      (await h.decide(await h.message('irb@example.com', /Sign-off of the post/), 'approve')).status,
    ).toBe(200);
  }

  const tail = [
    'Promote',
    'Announce promotion',
    'Inform Technical Support',
    'Stabilisation',
    'Check new version',
    'Operations verification',
    'Operations confirmed?',
    'Post-implementation review',
    'PIR sign-off',
    'PIR approved?',
    'Close as resolved',
    'Sign evidence',
  ];

  it('resolves an incident without a scope change: retrain, re-validate, QA, promote, verify, review', async () => {
    // Prepare
    await h.registerModel('plain');
    const { incidentId } = await h.openIncident('plain');

    // Act
    const investigate = await h.message('dsl@example.com', /Investigate the alert/);
    expect(
      (await h.decide(investigate, 'retrain', 'Age distribution shifted; confirmed drift.')).status,
    ).toBe(200);
    expect((await h.submitCandidate(incidentId, { version: '1.1.0', accuracy: 0.91 })).status).toBe(202);
    expect(
      (await h.decide(await h.message('qa@example.com', /QA validation/), 'approve', 'Passed the QA suite.'))
        .status,
    ).toBe(200);
    const support = await h.message('support@example.com', /version 1\.1\.0 is in production/);
    await verifyAndReview();
    const incident = await h.incidentWhen(incidentId, (i) => i.status !== 'open');

    // Assess
    expect(incident).toMatchObject({ status: 'resolved', currentStep: 'closed', retrainingCycles: 1 });
    expect(incident.timeToResolutionSeconds).toBeGreaterThanOrEqual(0);
    expect(incident.promotion).toMatchObject({ version: '1.1.0', previousVersion: '1.0.0' });
    expect(incident.validationReport).toMatchObject({
      passed: true,
      candidateVersion: '1.1.0',
      productionVersion: '1.0.0',
    });
    expect(incident.pir).toMatchObject({
      ...pir,
      submittedBy: 'dsl@example.com',
      approvedBy: 'irb@example.com',
    });
    expect((await h.settled(incidentId))?.states).toEqual([
      'Prepare',
      'Which kind of incident?',
      'Investigate',
      'Drift confirmed?',
      'Cycle limit reached?',
      'Count retraining cycle',
      'Announce retraining',
      'Await candidate',
      'Re-validate candidate',
      'Candidate passed?',
      'QA approval',
      'QA approved?',
      'Scope changed?',
      ...tail,
    ]);
    const model = (await h.call('GET', '/v1/models/plain')).body;
    expect(model).toMatchObject({ productionVersion: '1.1.0', previousVersion: '1.0.0' });
    expect(eventsOf(incidentId).map((e) => [e.source, e.detailType, e.detail])).toEqual([
      ['vigil.governance', 'RetrainingRequested', { incidentId, modelId: 'plain', cycle: 1 }],
      [
        'vigil.governance',
        'ModelPromoted',
        { incidentId, modelId: 'plain', version: '1.1.0', previousVersion: '1.0.0' },
      ],
    ]);
    expect(support.text).toContain('replaced version 1.0.0');
    expect(support.text).toContain('Retrained on the last 30 days (1.1.0).');
    expect(support.text).toContain('accuracy: 0.91 (was 0.9)');
    await h.message('dsl@example.com', /closed as resolved/);
    await h.message('dev@example.com', /closed as resolved/);
  });

  it('asks the AI-IRB Liaison, then Legal, when the candidate changes scope', async () => {
    // Prepare
    await h.registerModel('scoped');
    const { incidentId } = await h.openIncident('scoped');

    // Act
    await h.decide(await h.message('dsl@example.com', /Investigate/), 'retrain');
    expect(
      (await h.submitCandidate(incidentId, { version: '2.0.0', accuracy: 0.93, scopeChanged: true })).status,
    ).toBe(202);
    await h.decide(await h.message('qa@example.com', /QA validation/), 'approve');
    const irb = await h.message('irb@example.com', /AI-IRB review/);
    expect((await h.open(irb)).page.text).toContain('Scope, functionality or data usage changed');
    expect((await h.decide(irb, 'approve', 'Consent covers the new data.')).status).toBe(200);
    expect(
      (await h.decide(await h.message('legal@example.com', /Legal\/Compliance sign-off/), 'approve')).status,
    ).toBe(200);
    await verifyAndReview();
    const incident = await h.incidentWhen(incidentId, (i) => i.status !== 'open');

    // Assess
    expect(incident.status).toBe('resolved');
    const states = (await h.settled(incidentId))?.states ?? [];
    expect(states.slice(states.indexOf('Scope changed?'))).toEqual([
      'Scope changed?',
      'IRB review',
      'IRB approved?',
      'Legal sign-off',
      'Legal approved?',
      ...tail,
    ]);
    expect(incident.approvals.map((a) => [a.step, a.decision, a.decidedBy])).toEqual([
      ['investigate', 'retrain', 'dsl@example.com'],
      ['qa', 'approve', 'qa@example.com'],
      ['irb', 'approve', 'irb@example.com'],
      ['legal', 'approve', 'legal@example.com'],
      ['operations', 'confirm', 'ops@example.com'],
      ['pir', 'submit', 'dsl@example.com'],
      ['pir_signoff', 'approve', 'irb@example.com'],
    ]);
  });

  it('routes a candidate that declares no scope change through the AI-IRB and Legal when QA asks', async () => {
    // Prepare
    await h.registerModel('qa-to-irb');
    const { incidentId } = await h.openIncident('qa-to-irb');

    // Act: the pipeline says nothing changed; QA approves and sends it to the AI-IRB all the same.
    await h.decide(await h.message('dsl@example.com', /Investigate/), 'retrain');
    expect(
      (await h.submitCandidate(incidentId, { version: '1.2.0', accuracy: 0.91, scopeChanged: false })).status,
    ).toBe(202);
    const qa = await h.message('qa@example.com', /QA validation/);
    const page = (await h.open(qa)).page.text;
    const withoutComment = await h.decide(qa, 'approve_irb');
    const sent = await h.decide(qa, 'approve_irb', 'New features look like a change of data usage.');
    const irb = await h.message('irb@example.com', /AI-IRB review/);
    expect((await h.decide(irb, 'approve', 'Covered by consent.')).status).toBe(200);
    expect(
      (await h.decide(await h.message('legal@example.com', /Legal\/Compliance sign-off/), 'approve')).status,
    ).toBe(200);
    await verifyAndReview();
    const incident = await h.incidentWhen(incidentId, (i) => i.status !== 'open');

    // Assess
    expect(page).toContain('value="approve_irb"');
    expect(page).toContain('Approve, and send to the AI-IRB (then Legal)');
    expect(withoutComment.status).toBe(400);
    expect(sent.status).toBe(200);
    expect(incident.status).toBe('resolved');
    expect(incident.candidate?.scopeChanged).toBe(false);
    const states = (await h.settled(incidentId))?.states ?? [];
    expect(states.slice(states.indexOf('QA approved?'))).toEqual([
      'QA approved?',
      'IRB review',
      'IRB approved?',
      'Legal sign-off',
      'Legal approved?',
      ...tail,
    ]);
    expect(incident.approvals.slice(1, 4).map((a) => [a.step, a.decision, a.decidedBy])).toEqual([
      ['qa', 'approve_irb', 'qa@example.com'],
      ['irb', 'approve', 'irb@example.com'],
      ['legal', 'approve', 'legal@example.com'],
    ]);
  });

  it('closes a false alarm at once and releases the model for the next incident', async () => {
    // Prepare
    await h.registerModel('noise');
    const first = await h.openIncident('noise');

    // Act
    const investigate = await h.message('dsl@example.com', /Investigate/);
    expect(
      (await h.decide(investigate, 'false_alarm', 'A one-off batch replay; no real shift.')).status,
    ).toBe(200);
    const incident = await h.incidentWhen(first.incidentId, (i) => i.status !== 'open');
    const { openIncident } = await import('../../../functions/commons/incidents/open.ts');
    const next = await openIncident({
      modelId: 'noise',
      version: '1.0.0',
      evaluationId: 'eval-2',
      reasons: ['again'],
    });

    // Assess
    expect(incident).toMatchObject({ status: 'false_alarm', retrainingCycles: 0 });
    expect((await h.settled(first.incidentId))?.states).toEqual([
      'Prepare',
      'Which kind of incident?',
      'Investigate',
      'Drift confirmed?',
      'Close as false alarm',
      'Sign evidence',
    ]);
    expect(eventsOf(first.incidentId)).toEqual([]);
    expect(next.created).toBe(true);
    expect(next.incident.incidentId).not.toBe(first.incidentId);
  });

  it("goes back to retraining when QA rejects, with QA's comment, and resolves with the next candidate", async () => {
    // Prepare
    await h.registerModel('qa-loop');
    const { incidentId } = await h.openIncident('qa-loop');
    await h.decide(await h.message('dsl@example.com', /Investigate/), 'retrain');
    await h.submitCandidate(incidentId, { version: '1.1.0', accuracy: 0.9 });

    // Act
    const rejected = await h.decide(
      await h.message('qa@example.com', /QA validation/),
      'reject',
      'Calibration is off for small accounts.',
    );
    const second = await h.message('dev@example.com', /Retrain the model/);
    expect(
      (
        await h.call('POST', `/v1/incidents/${incidentId}/candidate`, {
          body: {
            version: '1.2.0',
            artifactUri: 's3://models/1.2.0',
            metrics: { accuracy: 0.92 },
            scopeChanged: false,
            notes: 'Recalibrated.',
          },
        })
      ).status,
    ).toBe(202);
    await h.decide(await h.message('qa@example.com', /QA validation/), 'approve');
    await verifyAndReview();
    const incident = await h.incidentWhen(incidentId, (i) => i.status !== 'open');

    // Assess
    expect(rejected.status).toBe(200);
    expect(second.text).toContain('cycle 2');
    expect(second.text).toContain('Calibration is off for small accounts.');
    expect(incident).toMatchObject({
      status: 'resolved',
      retrainingCycles: 2,
      promotion: { version: '1.2.0' },
    });
    expect(incident.candidates?.map((c) => c.version)).toEqual(['1.1.0', '1.2.0']);
    const states = (await h.settled(incidentId))?.states ?? [];
    expect(states.filter((s) => s === 'Await candidate')).toHaveLength(2);
    expect(states.slice(states.indexOf('QA approved?'), states.indexOf('QA approved?') + 3)).toEqual([
      'QA approved?',
      'Cycle limit reached?',
      'Count retraining cycle',
    ]);
    expect(
      eventsOf(incidentId)
        .filter((e) => e.detailType === 'RetrainingRequested')
        .map((e) => e.detail),
    ).toEqual([
      { incidentId, modelId: 'qa-loop', cycle: 1 },
      { incidentId, modelId: 'qa-loop', cycle: 2 },
    ]);
  });

  it('retrains after failed re-validations up to the cycle limit, then the DSL abandons', async () => {
    // Prepare: at most two cycles; accuracy must be at least 0.8 and within 5 % of production's 0.9.
    await h.registerModel('hopeless', { maxRetrainingCycles: 2 });
    const { incidentId } = await h.openIncident('hopeless');
    await h.decide(await h.message('dsl@example.com', /Investigate/), 'retrain');

    // Act
    expect((await h.submitCandidate(incidentId, { version: '1.1.0', accuracy: 0.75 })).status).toBe(202);
    const secondRequest = await h.message('dev@example.com', /Retrain the model/);
    expect(
      (
        await h.call('POST', `/v1/incidents/${incidentId}/candidate`, {
          body: {
            version: '1.2.0',
            artifactUri: 's3://models/1.2.0',
            metrics: { accuracy: 0.84 },
            scopeChanged: false,
          },
        })
      ).status,
    ).toBe(202);
    const limit = await h.message('dsl@example.com', /Retraining cycle limit reached/);
    const abandoned = await h.decide(
      limit,
      'abandon',
      'The data no longer supports this model; replacing it.',
    );
    const incident = await h.incidentWhen(incidentId, (i) => i.status !== 'open');

    // Assess
    expect(abandoned.status).toBe(200);
    expect(secondRequest.text).toContain('Candidate 1.1.0 failed the automated re-validation');
    expect(secondRequest.text).toContain('accuracy 0.75 < minimum 0.8');
    expect(incident).toMatchObject({ status: 'abandoned', retrainingCycles: 2 });
    expect(incident.validationReports?.map((r) => [r.candidateVersion, r.passed])).toEqual([
      ['1.1.0', false],
      ['1.2.0', false],
    ]);
    expect(incident.validationReports?.[1]?.checks.find((c) => !c.passed)?.message).toMatch(/drops 6\.67 %/);
    expect(h.outbox().some((m) => m.to === 'qa@example.com' && m.text.includes(incidentId))).toBe(false);
    expect((await h.call('GET', '/v1/models/hopeless')).body.productionVersion).toBe('1.0.0');
    const states = (await h.settled(incidentId))?.states ?? [];
    expect(states.slice(-6)).toEqual([
      'Candidate passed?',
      'Cycle limit reached?',
      'Continue or abandon',
      'Retrain again?',
      'Close as abandoned',
      'Sign evidence',
    ]);
  });

  it("sends the candidate back to retraining when the AI-IRB Liaison rejects it, with the Liaison's comment", async () => {
    // Prepare
    await h.registerModel('irb-no');
    const { incidentId } = await h.openIncident('irb-no');
    await h.decide(await h.message('dsl@example.com', /Investigate/), 'retrain');
    await h.submitCandidate(incidentId, { version: '1.1.0', accuracy: 0.92, scopeChanged: true });
    await h.decide(await h.message('qa@example.com', /QA validation/), 'approve');

    // Act
    const rejected = await h.decide(
      await h.message('irb@example.com', /AI-IRB review/),
      'reject',
      'The new location feature lacks a consent basis.',
    );
    const again = await h.message('dev@example.com', /Retrain the model/);
    const incident = await h.incidentWhen(
      incidentId,
      (i) => i.currentStep === 'retraining' && i.retrainingCycles === 2,
    );

    // Assess
    expect(rejected.status).toBe(200);
    expect(again.text).toContain('AI-IRB review of a scope change: irb@example.com decided "reject"');
    expect(again.text).toContain('The new location feature lacks a consent basis.');
    expect(h.outbox().some((m) => m.to === 'legal@example.com' && m.text.includes(incidentId))).toBe(false);
    expect(incident.status).toBe('open');
    expect(h.engine.execution(incidentId)?.states.slice(-5)).toEqual([
      'IRB approved?',
      'Cycle limit reached?',
      'Count retraining cycle',
      'Announce retraining',
      'Await candidate',
    ]);
  });

  it('rolls back to the previous version when Operations decides so after a breach, and retrains', async () => {
    // Prepare
    await h.registerModel('unstable', { stabilisationSeconds: 2 });
    const { incidentId } = await h.openIncident('unstable');
    await h.decide(await h.message('dsl@example.com', /Investigate/), 'retrain');
    await h.submitCandidate(incidentId, { version: '1.1.0', accuracy: 0.91 });
    await h.decide(await h.message('qa@example.com', /QA validation/), 'approve');
    await h.message('support@example.com', /in production/);
    // The scheduled evaluation of the new version's first window breaches.
    const windowEnd = new Date().toISOString();
    await h.putEvaluation({
      evaluationId: 'eval-unstable-after',
      modelId: 'unstable',
      status: 'breach',
      windowStart: new Date(Date.now() - 3600_000).toISOString(),
      windowEnd,
      reasons: ['accuracy 0.62 below 0.8'],
    });

    // Act
    const ops = await h.message('ops@example.com', /Operations verification/);
    const { page } = await h.open(ops);
    const rolledBack = await h.decide(ops, 'rollback', 'Accuracy collapsed on the first window.');
    const alert = await h.message('mlops@example.com', /Rollback: .* is back on version 1\.0\.0/);
    const again = await h.message('dev@example.com', /Retrain the model/);
    const incident = await h.incidentWhen(
      incidentId,
      (i) => i.currentStep === 'retraining' && i.retrainingCycles === 2,
    );

    // Assess
    expect(page.text).toContain('breach</span>: the latest evaluation since the promotion breached');
    expect(page.text).toContain('accuracy 0.62 below 0.8');
    expect(rolledBack.status).toBe(200);
    expect(incident.verification).toMatchObject({ status: 'breach', evaluationId: 'eval-unstable-after' });
    expect(incident.rollbacks).toEqual([
      { restoredVersion: '1.0.0', rolledBackVersion: '1.1.0', at: expect.any(String) },
    ]);
    expect((await h.call('GET', '/v1/models/unstable')).body).toMatchObject({
      productionVersion: '1.0.0',
      previousVersion: '1.1.0',
    });
    expect(alert.text).toContain('Accuracy collapsed on the first window.');
    for (const to of ['ops@example.com', 'dsl@example.com', 'dev@example.com', 'support@example.com']) {
      await h.message(to, /Rollback:/);
    }
    expect(again.text).toContain(
      'Operations verification of the new version: ops@example.com decided "rollback"',
    );
    expect(eventsOf(incidentId).map((e) => e.detailType)).toEqual([
      'RetrainingRequested',
      'ModelPromoted',
      'ModelRolledBack',
      'RetrainingRequested',
    ]);
    expect(eventsOf(incidentId)[2]?.detail).toEqual({
      incidentId,
      modelId: 'unstable',
      version: '1.0.0',
      rolledBackVersion: '1.1.0',
    });
  });

  it('reminds the role and escalates to MLOps while a step stays unanswered, then takes the failure path', async () => {
    // Prepare: a one-second answer time.
    await h.registerModel('silent', { approvalTimeoutHours: 1 / 3600 });
    const { incidentId } = await h.openIncident('silent');
    const first = await h.message('dsl@example.com', /Investigate the alert/);

    // Act: nobody answers.
    const failure = await h.message('mlops@example.com', /Workflow failed/);
    const incident = await h.incident(incidentId);
    const reminders = [1, 2].map((n) =>
      h
        .outbox()
        .filter((m) => m.subject.includes(`Reminder ${n}/2: Investigate the alert`))
        .map((m) => m.to),
    );
    const escalations = h
      .outbox()
      .filter((m) => m.to === 'mlops@example.com' && m.subject.includes('Escalation'));
    const stale = await h.open(first);
    const last = await h.message('dsl@example.com', /Reminder 2\/2: Investigate/);
    const withdrawn = await h.open(last);

    // Assess
    expect(incident).toMatchObject({
      status: 'failed',
      failure: { error: 'Vigil.StepUnanswered', cause: 'No answer to Investigate after 2 reminders' },
    });
    expect(reminders).toEqual([
      ['dsl@example.com', 'dsl2@example.com'],
      ['dsl@example.com', 'dsl2@example.com'],
    ]);
    expect(escalations.map((m) => m.text.match(/Reminder (\d) of 2/)?.[1])).toEqual(['1', '2']);
    expect(failure.text).toContain('Error: Vigil.StepUnanswered');
    expect(incident.approvals.map((a) => [a.reminder, a.status])).toEqual([
      [0, 'expired'],
      [1, 'expired'],
      [2, 'withdrawn'],
    ]);
    expect(stale.page.status).toBe(410);
    expect(withdrawn.page.status).toBe(410);
    expect(withdrawn.page.text).toContain('This step no longer waits for a decision (the incident failed)');
    const execution = await h.settled(incidentId);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'Vigil.StepUnanswered' });
    expect(execution?.states.filter((s) => s === 'Investigate')).toHaveLength(3);
    expect(execution?.states.slice(-3)).toEqual(['Step unanswered', 'Record failure', 'Failed']);
  });

  it('takes the failure path when a task fails: promotion refused because production moved meanwhile', async () => {
    // Prepare
    await h.registerModel('raced');
    const { incidentId } = await h.openIncident('raced');
    await h.decide(await h.message('dsl@example.com', /Investigate/), 'retrain');
    await h.submitCandidate(incidentId, { version: '1.1.0', accuracy: 0.91 });
    const qa = await h.message('qa@example.com', /QA validation/);
    // Someone promotes a hotfix outside the workflow while QA looks at the candidate.
    const registry = await import('../../../functions/commons/registry/store.ts');
    await h.call('POST', '/v1/models/raced/versions', {
      body: { version: '1.0.1', artifactUri: 's3://models/1.0.1' },
    });
    await registry.setProductionVersion('raced', '1.0.1', '1.0.0');

    // Act
    await h.decide(qa, 'approve');
    // The failure path marks the incident failed, then records it in the audit trail.
    const incident = await h.incidentWhen(
      incidentId,
      (i) => i.status !== 'open' && i.audit.some((e) => e.type === 'incident.failed'),
    );

    // Assess
    expect(incident.status).toBe('failed');
    expect(incident.failure?.error).toBe('StepFailed');
    expect(incident.failure?.cause).toContain('not 1.0.0 as when 1.1.0 was validated');
    const alert = await h.message('mlops@example.com', /Workflow failed/);
    expect(alert.text).toContain('failed at step "promotion"');
    expect((await h.call('GET', '/v1/models/raced')).body.productionVersion).toBe('1.0.1');
    const execution = await h.settled(incidentId);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'StepFailed' });
    expect(execution?.states.slice(-3)).toEqual(['Promote', 'Record failure', 'Failed']);
    expect(incident.audit.find((e) => e.type === 'incident.failed')).toMatchObject({
      actor: 'workflow',
      step: 'promotion',
      details: { error: 'StepFailed' },
    });
  });

  it('lists as open exactly the incidents still open: every path that ended one took it out of the open index', async () => {
    const { listed, open, ended } = await openListing(h);
    expect(listed).toEqual(open);
    expect(ended).toEqual(expect.arrayContaining(['resolved', 'false_alarm', 'abandoned', 'failed']));
  });

  it("puts every ended incident in its model's partition of the ended index, at its end time", async () => {
    const { ended, indexed } = await endedListing();
    expect(ended.length).toBeGreaterThan(0);
    expect(indexed).toEqual(ended);
  });
});
