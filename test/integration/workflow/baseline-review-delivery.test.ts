import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { approvers, Harness } from './harness.ts';

const DAY_MS = 86_400_000;

/** The AI Dev Team's request waits for an address that confirms its subscription late, as SNS delivers. */
describe('baseline review delivery', () => {
  let h: Harness;
  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    h = await Harness.start({ schedulerTickSeconds: 0, confirmSubscriptions: 'manual' });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  afterAll(async () => h?.close());

  async function confirm(to: string): Promise<void> {
    const link = h
      .outbox()
      .filter((m) => m.to === to && m.subject === 'AWS Notification - Subscription Confirmation')
      .at(-1)?.links[0];
    if (!link) throw new Error(`no confirmation email to ${to}`);
    expect((await fetch(link)).status).toBe(200);
  }

  it('sends the request for a new baseline to the AI Dev Team address when it confirms', async () => {
    // Prepare: everyone but the AI Dev Team confirmed; a review due.
    await h.registerModel('review-late', { approvalTimeoutHours: 72 });
    for (const address of Object.values(approvers).flat()) {
      if (address !== 'dev@example.com') await confirm(address);
    }
    const records = Array.from({ length: 200 }, (_, i) => ({
      features: { age: 20 + (i % 50), plan: i % 2 ? 'basic' : 'pro' },
      prediction: i % 3 ? 'stay' : 'churn',
    }));
    expect((await h.call('PUT', '/v1/models/review-late/baseline', { body: { records } })).status).toBe(201);
    const fitted = Date.parse((await h.call('GET', '/v1/models/review-late')).body.baselineCreatedAt);
    vi.useFakeTimers({ toFake: ['Date'], now: fitted + 91 * DAY_MS });
    const { runScheduledEvaluations } = await import('../../../functions/commons/evaluation/schedule.ts');
    const incidentId = (await runScheduledEvaluations(new Date())).find((r) => r.modelId === 'review-late')
      ?.baselineReviewIncidentId as string;

    // Act: the Data Science Lead asks for a new baseline; the AI Dev Team confirms only afterwards.
    const review = await h.message('dsl@example.com', /Quarterly baseline review/);
    expect((await h.decide(review, 'replace', 'Seasonal mix changed.')).status).toBe(200);
    const told = await h.message('mlops@example.com', /Undelivered: AI Dev Team unconfirmed/);
    const unread = await h.message('dev@example.com', /Fit a new baseline/);
    await confirm('dev@example.com');
    const arrived = await h.message('dev@example.com', /Fit a new baseline/, 5_000);

    // Assess: MLOps was told, the first request was not delivered, the late one was, and recorded.
    expect(told.text).toContain('dev@example.com has not confirmed its subscription yet');
    expect(unread.delivered).toBe(false);
    expect(arrived.delivered).toBe(true);
    expect(arrived.text).toContain('this request was waiting for you');
    expect(arrived.text).toContain('Seasonal mix changed.');
    const incident = await h.incident(incidentId);
    expect(incident.audit).toContainEqual(
      expect.objectContaining({
        type: 'request.delivered',
        step: 'new_baseline',
        details: { to: 'dev@example.com', reason: 'subscription confirmed' },
      }),
    );
  });
});
