import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { dynamoDb } from '../../../functions/commons/clients/dynamodb.ts';
import { Harness } from './harness.ts';

const DAY_MS = 86_400_000;

/**
 * The baseline review (statemachines/baseline-review.asl.json) on the local engine: the
 * scheduled run opens it once the baseline is due (the clock is injected: 90 days do not pass in
 * a test), and every email is answered the way its recipient would (link, page, form; the new
 * baseline over the API).
 */
describe('baseline review', () => {
  let h: Harness;
  let schedule: typeof import('../../../functions/commons/evaluation/schedule.ts');
  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    // No background ticks: each test runs the scheduled evaluation itself, at the time it sets.
    h = await Harness.start({ schedulerTickSeconds: 0 });
    schedule = await import('../../../functions/commons/evaluation/schedule.ts');
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });
  afterAll(async () => h?.close());

  let seed = 11;
  function records(n: number, shift = 0) {
    const random = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    return Array.from({ length: n }, () => ({
      features: { age: Math.round(30 + shift + 20 * random()), plan: random() < 0.5 ? 'basic' : 'pro' },
      prediction: random() < 0.3 ? 'churn' : 'stay',
    }));
  }

  async function model(modelId: string) {
    const response = await h.call('GET', `/v1/models/${modelId}`);
    expect(response.status).toBe(200);
    return response.body as {
      baselineVersion: number;
      baselineCreatedAt: string;
      baselineReviewedAt?: string;
    };
  }

  /** The scheduled run at `at` (the clock set there): the model's run, if it was due. */
  async function scheduledRunAt(modelId: string, at: number) {
    vi.useFakeTimers({ toFake: ['Date'], now: at });
    const runs = await schedule.runScheduledEvaluations(new Date());
    return runs.find((run) => run.modelId === modelId);
  }

  it('opens when the baseline is due, once, and the kept baseline starts its review period again', async () => {
    // Prepare: a model with a baseline, reviewed every 90 days (the default); requests are
    // answered within 3 days (the clock moves by days here).
    await h.registerModel('review-keep', { approvalTimeoutHours: 72 });
    expect(
      (await h.call('PUT', '/v1/models/review-keep/baseline', { body: { records: records(300) } })).status,
    ).toBe(201);
    const fittedAt = Date.parse((await model('review-keep')).baselineCreatedAt);

    // Act: the scheduled runs 89 days later, then 91 and 92 days later.
    const early = await scheduledRunAt('review-keep', fittedAt + 89 * DAY_MS);
    const due = await scheduledRunAt('review-keep', fittedAt + 91 * DAY_MS);
    const again = await scheduledRunAt('review-keep', fittedAt + 92 * DAY_MS);

    // Assess: nothing before it is due; then one review incident, found again while it is open.
    expect(early).toMatchObject({ status: 'insufficient_data' });
    expect(early?.baselineReviewIncidentId).toBeUndefined();
    const incidentId = due?.baselineReviewIncidentId as string;
    expect(incidentId).toEqual(expect.any(String));
    expect(again?.baselineReviewIncidentId).toBe(incidentId);
    const evaluation = await h.call('GET', `/v1/evaluations/${due?.evaluationId}`);
    expect(evaluation.body.baselineStale).toBe(true);
    const opened = await h.incident(incidentId);
    expect(opened).toMatchObject({
      kind: 'baseline_review',
      modelId: 'review-keep',
      status: 'open',
      baselineReview: {
        baselineVersion: 1,
        reviewDays: 90,
        dueAt: new Date(fittedAt + 90 * DAY_MS).toISOString(),
      },
    });
    expect(opened.evaluationId).toBeUndefined();

    // Act: the Data Science Lead keeps it, from the email's link.
    const request = await h.message('dsl@example.com', /Quarterly baseline review/);
    expect(request.text).toContain('Keep it, or ask the AI Dev Team for a new one.');
    const page = await h.open(request);
    expect(page.page.status).toBe(200);
    expect(page.page.text).toContain('Baseline under review');
    const withoutComment = await h.decide(request, 'keep');
    const kept = await h.decide(request, 'keep', 'Population unchanged since the spring refit.');

    // Assess: recorded as reviewed with the comment, the incident closed, the chain signed.
    expect(withoutComment.status).toBe(400);
    expect(kept.status).toBe(200);
    const closed = await h.incidentWhen(incidentId, (i) => i.status !== 'open');
    expect(closed).toMatchObject({
      status: 'resolved',
      baselineReview: {
        outcome: 'kept',
        comment: 'Population unchanged since the spring refit.',
        decidedBy: 'dsl@example.com',
      },
    });
    const reviewedAt = (await model('review-keep')).baselineReviewedAt as string;
    expect(reviewedAt).toBe(closed.baselineReview?.decidedAt);
    expect(closed.audit).toContainEqual(
      expect.objectContaining({
        type: 'decision',
        actor: 'dsl@example.com',
        step: 'baseline_review',
        details: expect.objectContaining({ decision: 'keep' }),
      }),
    );
    expect(closed.audit).toContainEqual(
      expect.objectContaining({
        type: 'step.left',
        step: 'baseline_kept',
        details: expect.objectContaining({ outcome: 'kept', recorded: true }),
      }),
    );
    const execution = await h.runtime.governance.baselineReview.settled(incidentId);
    expect(execution?.status).toBe('SUCCEEDED');
    expect(execution?.states).toEqual([
      'Prepare',
      'Review baseline',
      'Keep or replace?',
      'Record review',
      'Close as reviewed',
      'Sign evidence',
    ]);

    // Act: the scheduled runs 89 and 91 days after the review.
    const reviewed = Date.parse(reviewedAt);
    const notYet = await scheduledRunAt('review-keep', reviewed + 89 * DAY_MS);
    const next = await scheduledRunAt('review-keep', reviewed + 91 * DAY_MS);

    // Assess: the review restarted the clock; the next review is a new incident.
    expect(notYet).toBeDefined();
    expect(notYet?.baselineReviewIncidentId).toBeUndefined();
    expect(next?.baselineReviewIncidentId).toEqual(expect.any(String));
    expect(next?.baselineReviewIncidentId).not.toBe(incidentId);
  });

  it('replaces the baseline: the AI Dev Team puts a new one, which resumes the review, and QA approves it', async () => {
    // Prepare: a model reviewed every 30 days, its review opened 31 days after the baseline.
    await h.registerModel('review-replace', { approvalTimeoutHours: 72 });
    const registered = await h.call('GET', '/v1/models/review-replace');
    expect(
      (
        await h.call('PUT', '/v1/models/review-replace', {
          body: {
            ...Object.fromEntries(
              Object.entries(registered.body).filter(([field]) =>
                ['name', 'owner', 'task', 'features', 'thresholds', 'approvers'].includes(field),
              ),
            ),
            governance: { approvalTimeoutHours: 72, stabilisationSeconds: 0, baselineReviewDays: 30 },
          },
        })
      ).status,
    ).toBe(200);
    expect(
      (await h.call('PUT', '/v1/models/review-replace/baseline', { body: { records: records(300) } })).status,
    ).toBe(201);
    const fittedAt = Date.parse((await model('review-replace')).baselineCreatedAt);
    const incidentId = (await scheduledRunAt('review-replace', fittedAt + 31 * DAY_MS))
      ?.baselineReviewIncidentId as string;
    expect(incidentId).toEqual(expect.any(String));

    // Act: the Data Science Lead asks for a new baseline.
    const review = await h.message('dsl@example.com', /Quarterly baseline review/);
    expect((await h.decide(review, 'replace', 'Customers moved to the pro plan.')).status).toBe(200);

    // Assess: the AI Dev Team is asked, with the reason and how to put the baseline.
    const ask = await h.message('dev@example.com', /Fit a new baseline/);
    expect(ask.text).toContain('Customers moved to the pro plan.');
    expect(ask.text).toContain('PUT http://');
    expect(ask.text).toContain('/v1/models/review-replace/baseline');
    await h.incidentWhen(incidentId, (i) => i.currentStep === 'new_baseline');

    // Act: a baseline the model refuses, then one it takes.
    const refused = await h.call('PUT', '/v1/models/review-replace/baseline', {
      body: { records: [{ features: { age: 'old', plan: 'pro' }, prediction: 'stay' }] },
    });
    const second = await h.call('PUT', '/v1/models/review-replace/baseline', {
      body: { records: records(300, 10), metrics: { accuracy: 0.88 } },
    });

    // Assess: the refused one changed nothing and the review still waited; the second resumed it,
    // fitted but not in use until QA approves it.
    expect(refused.status).toBe(400);
    expect(refused.body.error.issues[0].path).toEqual(expect.stringContaining('age'));
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ baselineVersion: 2, inUse: false, reviewIncidentId: incidentId });
    expect((await model('review-replace')).baselineVersion).toBe(1);

    // Act: QA rejects it, the AI Dev Team is asked again, puts a third, and QA approves that one.
    const firstQa = await h.message('qa@example.com', /QA approval of the new baseline/);
    const qaPage = await h.open(firstQa);
    expect(qaPage.page.text).toContain('New baseline 2');
    expect((await h.decide(firstQa, 'reject', 'Fitted on a holiday week.')).status).toBe(200);
    const askedAgain = await h.message('dev@example.com', /Fit a new baseline/);
    expect(askedAgain.text).toContain('Fitted on a holiday week.');
    await h.incidentWhen(incidentId, (i) => i.currentStep === 'new_baseline');
    const third = await h.call('PUT', '/v1/models/review-replace/baseline', {
      body: { records: records(300, 10), metrics: { accuracy: 0.89 } },
    });
    expect(third.body).toMatchObject({ baselineVersion: 3, inUse: false, reviewIncidentId: incidentId });
    const secondQa = await h.message('qa@example.com', /QA approval of the new baseline/);
    expect((await h.decide(secondQa, 'approve')).status).toBe(200);

    // Assess: the approved baseline is in use, the incident resolved, every step on record.
    const closed = await h.incidentWhen(incidentId, (i) => i.status !== 'open');
    expect(closed).toMatchObject({
      kind: 'baseline_review',
      status: 'resolved',
      baselineReview: {
        baselineVersion: 1,
        outcome: 'replaced',
        newBaseline: { baselineVersion: 3, records: 300, metrics: { accuracy: 0.89 }, submittedBy: 'admin' },
      },
    });
    const now = await model('review-replace');
    expect(now.baselineVersion).toBe(3);
    expect(now.baselineCreatedAt).toBe(third.body.createdAt);
    expect(closed.audit.filter((e: { type: string }) => e.type === 'baseline.submitted')).toHaveLength(2);
    expect(closed.audit).toContainEqual(
      expect.objectContaining({
        type: 'step.left',
        step: 'baseline_adopted',
        details: expect.objectContaining({ baselineVersion: 3, adopted: true }),
      }),
    );
    const execution = await h.runtime.governance.baselineReview.settled(incidentId);
    expect(execution?.status).toBe('SUCCEEDED');
    expect(execution?.states).toEqual([
      'Prepare',
      'Review baseline',
      'Keep or replace?',
      'Request new baseline',
      'QA baseline approval',
      'QA approved baseline?',
      'Request new baseline',
      'QA baseline approval',
      'QA approved baseline?',
      'Adopt baseline',
      'Close as replaced',
      'Sign evidence',
    ]);

    // A baseline put with no review waiting is in use at once, as always.
    const plain = await h.call('PUT', '/v1/models/review-replace/baseline', {
      body: { records: records(300) },
    });
    expect(plain.body).toMatchObject({ baselineVersion: 4, inUse: true });
    expect(plain.body.reviewIncidentId).toBeUndefined();
    expect((await model('review-replace')).baselineVersion).toBe(4);
  });
  it('answers 409 to a baseline put when the waiting review task has lapsed, and writes nothing', async () => {
    // Prepare: a review waiting for the Data Science Lead, and the task token of a baseline
    // request that timed out still stored (between its timeout and the reminder that replaces it).
    await h.registerModel('review-lapsed', { approvalTimeoutHours: 72 });
    expect(
      (await h.call('PUT', '/v1/models/review-lapsed/baseline', { body: { records: records(300) } })).status,
    ).toBe(201);
    const fittedAt = Date.parse((await model('review-lapsed')).baselineCreatedAt);
    const incidentId = (await scheduledRunAt('review-lapsed', fittedAt + 91 * DAY_MS))
      ?.baselineReviewIncidentId as string;
    vi.useRealTimers();
    await h.message('dsl@example.com', /Quarterly baseline review/);
    const { putBaselineTask, getBaselineTask, deleteBaselineTask } = await import(
      '../../../functions/commons/baseline-review/store.ts'
    );
    const lapsed = {
      incidentId,
      taskToken: 'local-timed-out-token',
      requestedAt: new Date(Date.now() - 3_600_000).toISOString(),
      expiresAt: new Date(Date.now() - 1000).toISOString(),
      roles: ['devTeam' as const],
      recipients: ['dev@example.com'],
      reminder: 0,
      timeoutSeconds: 3599,
    };
    await putBaselineTask('review-lapsed', lapsed);

    // Act
    const put = await h.call('PUT', '/v1/models/review-lapsed/baseline', { body: { records: records(300) } });

    // Assess: a conflict naming why, and nothing written: no baseline fitted, kept or numbered,
    // the incident and its audit trail as they were, the lapsed task left for its reminder.
    expect(put.status).toBe(409);
    expect(put.body.error.issues[0]).toMatchObject({ path: 'modelId' });
    expect(put.body.error.issues[0].message).toContain('timed out');
    expect((await model('review-lapsed')).baselineVersion).toBe(1);
    const incident = await h.incident(incidentId);
    expect(incident.status).toBe('open');
    expect(incident.baselineReview?.newBaseline).toBeUndefined();
    expect(incident.audit.filter((e: { type: string }) => e.type === 'baseline.submitted')).toHaveLength(0);
    expect(await getBaselineTask('review-lapsed')).toEqual(lapsed);
    // The baseline number was not used up: the next baseline, with no review waiting, is number 2.
    await deleteBaselineTask('review-lapsed', incidentId);
    const next = await h.call('PUT', '/v1/models/review-lapsed/baseline', {
      body: { records: records(300) },
    });
    expect(next.body).toMatchObject({ baselineVersion: 2, inUse: true });
  });

  it('keeps nothing of a baseline whose request times out between the check and the resume', async () => {
    // Prepare: a review waiting for a new baseline (requests answered within an hour), whose step
    // times out in Step Functions just after the put took its task.
    await h.registerModel('review-race', { approvalTimeoutHours: 1 });
    expect(
      (await h.call('PUT', '/v1/models/review-race/baseline', { body: { records: records(300) } })).status,
    ).toBe(201);
    const fittedAt = Date.parse((await model('review-race')).baselineCreatedAt);
    const incidentId = (await scheduledRunAt('review-race', fittedAt + 91 * DAY_MS))
      ?.baselineReviewIncidentId as string;
    vi.useRealTimers();
    const review = await h.message('dsl@example.com', /Quarterly baseline review/);
    expect((await h.decide(review, 'replace', 'Customers moved to the pro plan.')).status).toBe(200);
    await h.message('dev@example.com', /Fit a new baseline/);
    const { getBaselineTask } = await import('../../../functions/commons/baseline-review/store.ts');
    const task = await getBaselineTask('review-race');
    if (!task) throw new Error('no baseline task');
    const send = dynamoDb.send.bind(dynamoDb) as (command: object) => Promise<unknown>;
    let fired = false;
    vi.spyOn(dynamoDb, 'send').mockImplementation((async (command: object) => {
      const result = await send(command);
      if (!fired && command instanceof DeleteCommand && command.input.Key?.sk === '#BASELINE_TASK') {
        fired = true;
        vi.useFakeTimers({ toFake: ['Date'], now: Date.parse(task.expiresAt) });
        await h.runtime.governance.baselineReview.sendTaskFailure(
          task.taskToken,
          'States.Timeout',
          'The task timed out',
        );
      }
      return result;
    }) as never);

    // Act
    const put = await h
      .call('PUT', '/v1/models/review-race/baseline', {
        body: { records: records(300, 10), metrics: { accuracy: 0.88 } },
      })
      .finally(() => vi.useRealTimers());
    vi.restoreAllMocks();
    const incident = await h.incident(incidentId);
    const { getBaseline } = await import('../../../functions/commons/registry/baselines.ts');
    const { referenceProfiles } = await import('../../../functions/commons/registry/baselines.ts');
    const fitted = await getBaseline('review-race', 2);
    const profiles = await referenceProfiles('review-race', 2);
    await h.message('dev@example.com', /Reminder 1\/2: Fit a new baseline/);
    const again = await h.call('PUT', '/v1/models/review-race/baseline', {
      body: { records: records(300, 10), metrics: { accuracy: 0.88 } },
    });

    // Assess: a conflict; no baseline kept (neither its record nor its profiles), the review as
    // it was; the audit trail tells the submission and its lapse; the reminder's request takes the
    // same baseline (under the next number: the refused one is not used again).
    expect(put.status, put.text).toBe(409);
    expect(put.body.error.issues[0]).toMatchObject({
      path: 'modelId',
      message: expect.stringContaining('nothing was kept'),
    });
    expect(fitted).toBeUndefined();
    expect(profiles.size).toBe(0);
    expect(incident.baselineReview?.newBaseline).toBeUndefined();
    expect((await model('review-race')).baselineVersion).toBe(1);
    expect(
      incident.audit
        .map((e: { type: string }) => e.type)
        .filter((type: string) => type.startsWith('baseline.')),
    ).toEqual(['baseline.submitted', 'baseline.lapsed']);
    expect(again.status, again.text).toBe(201);
    expect(again.body).toMatchObject({ baselineVersion: 3, inUse: false, reviewIncidentId: incidentId });
  });

  it('keeps nothing of a baseline the engine could not pass on: 503, and the same baseline put again goes on', async () => {
    // Prepare: a review waiting for a new baseline, and an engine that fails once.
    await h.registerModel('review-engine', { approvalTimeoutHours: 1 });
    expect(
      (await h.call('PUT', '/v1/models/review-engine/baseline', { body: { records: records(300) } })).status,
    ).toBe(201);
    const fittedAt = Date.parse((await model('review-engine')).baselineCreatedAt);
    const incidentId = (await scheduledRunAt('review-engine', fittedAt + 91 * DAY_MS))
      ?.baselineReviewIncidentId as string;
    vi.useRealTimers();
    const review = await h.message('dsl@example.com', /Quarterly baseline review/);
    expect((await h.decide(review, 'replace', 'Customers moved to the pro plan.')).status).toBe(200);
    await h.message('dev@example.com', /Fit a new baseline/);
    vi.spyOn(h.runtime.governance.baselineReview, 'sendTaskSuccess').mockRejectedValueOnce(
      new Error('engine unavailable'),
    );
    const body = { records: records(300, 10), metrics: { accuracy: 0.88 } };

    // Act
    const put = await h.call('PUT', '/v1/models/review-engine/baseline', { body });
    const { getBaseline } = await import('../../../functions/commons/registry/baselines.ts');
    const fitted = await getBaseline('review-engine', 2);
    const left = await h.incident(incidentId);
    const again = await h.call('PUT', '/v1/models/review-engine/baseline', { body });

    // Assess
    expect(put.status, put.text).toBe(503);
    expect(put.body.error.issues).toEqual([
      { path: 'modelId', message: expect.stringContaining('nothing was kept') },
    ]);
    expect(fitted).toBeUndefined();
    expect(left.baselineReview?.newBaseline).toBeUndefined();
    expect(again.status, again.text).toBe(201);
    expect(again.body).toMatchObject({ baselineVersion: 3, inUse: false, reviewIncidentId: incidentId });
  });
});
