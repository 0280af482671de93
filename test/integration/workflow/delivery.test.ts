import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { approvers, Harness, waitFor } from './harness.ts';

/**
 * Delivery as SNS does it, on `npm start` with VIGIL_CONFIRM_SUBSCRIPTIONS=manual: a new approver
 * address receives nothing but a confirmation email until it follows the link; a step whose role
 * has no confirmed address is reported to MLOps at once and waits; the address that confirms
 * receives the waiting link then, not at the next reminder.
 */
describe('approval email delivery follows the subscriptions', () => {
  let h: Harness;
  const printed: string[] = [];
  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
      printed.push(String(line));
    });
    h = await Harness.start({ confirmSubscriptions: 'manual' });
  });
  afterAll(async () => h?.close());

  const confirmations = (to: string) =>
    h.outbox().filter((m) => m.to === to && m.subject === 'AWS Notification - Subscription Confirmation');

  /** Follows the confirmation link of the address, as the person would from the email. */
  async function confirm(to: string): Promise<Response> {
    const link = confirmations(to).at(-1)?.links[0];
    if (!link) throw new Error(`no confirmation email to ${to}`);
    return fetch(link);
  }

  it('waits for the Data Science Lead to confirm, tells MLOps meanwhile, and sends the link at confirmation', async () => {
    // Prepare: a model with new approvers; everyone but the two Data Science Leads confirms.
    await h.registerModel('delivery-m');
    const registered = await h.call('GET', '/v1/models/delivery-m');
    const everyone = Object.values(approvers).flat();
    for (const address of everyone.filter((a) => !a.startsWith('dsl'))) {
      expect((await confirm(address)).status).toBe(200);
    }
    const resend = await h.call('POST', '/v1/models/delivery-m/delivery/resend');

    // Act: a breach opens the incident and asks the Data Science Lead, who has not confirmed.
    const { incidentId } = await h.breachOverHttp('delivery-m');
    const told = await h.message('mlops@example.com', /Undelivered: Data Science Lead unconfirmed/);
    const unread = await h.message('dsl@example.com', /Investigate the alert/);
    const before = await h.incidentWhen(
      incidentId,
      (i) => i.audit.filter((e) => e.type === 'delivery.unconfirmed').length === 2,
    );
    const printedBefore = printed.join('\n');

    const confirmed = await confirm('dsl@example.com');
    const arrived = await h.message('dsl@example.com', /Investigate the alert/, 5_000);
    const decided = await h.decide(arrived, 'retrain', 'Confirmed drift.');
    const next = await h.message('dev@example.com', /Retrain the model/);
    const after = await h.call('GET', '/v1/models/delivery-m');

    // Assess: pending at first, for every address of the model.
    expect(registered.body.delivery).toEqual(
      Object.fromEntries(everyone.map((address) => [address, 'pending_confirmation'])),
    );
    expect(confirmations('dsl@example.com')).toHaveLength(2);
    expect(resend.body).toEqual({
      modelId: 'delivery-m',
      resent: ['dsl@example.com', 'dsl2@example.com'],
      delivery: expect.objectContaining({
        'dsl@example.com': 'pending_confirmation',
        'qa@example.com': 'confirmed',
      }),
    });
    // MLOps is told at once, by name of the role and the addresses, and the timeline records it.
    expect(told.delivered).toBe(true);
    expect(told.text).toContain('dsl@example.com has not confirmed its subscription yet');
    expect(told.text).toContain('dsl2@example.com has not confirmed its subscription yet');
    expect(told.text).toContain('/v1/models/delivery-m/delivery/resend');
    expect(before.audit.filter((e) => e.type === 'delivery.unconfirmed')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          step: 'investigate',
          details: expect.objectContaining({
            roles: ['dataScienceLead'],
            addresses: {
              'dsl@example.com': 'pending_confirmation',
              'dsl2@example.com': 'pending_confirmation',
            },
          }),
        }),
      ]),
    );
    // The undelivered request is listed as such and its link is not printed.
    expect(unread.delivered).toBe(false);
    expect(printedBefore).not.toContain(unread.links[0]);
    expect(printedBefore).toContain('✉ dsl@example.com: [Vigil] Investigate the alert');
    // The confirmation brings the waiting request at once: a new link, not a reminder.
    expect(confirmed.status).toBe(200);
    expect(arrived.delivered).toBe(true);
    expect(arrived.subject).not.toMatch(/Reminder/);
    expect(arrived.text).toContain('this request was waiting for you');
    expect(printed.join('\n')).toContain(arrived.links[0]);
    expect(decided.status).toBe(200);
    expect(next.delivered).toBe(true);
    expect(after.body.delivery).toMatchObject({
      'dsl@example.com': 'confirmed',
      'dsl2@example.com': 'pending_confirmation',
      'qa@example.com': 'confirmed',
    });
    const incident = await h.incident(incidentId);
    expect(incident.audit.map((e) => e.type)).toContain('request.delivered');
    expect(incident.status).toBe('open');
    expect(incident.currentStep).toBe('retraining');
  });

  it('notices an approver who unsubscribes while a step waits: shown unsubscribed, MLOps told, resend possible', async () => {
    // Prepare: retraining waits for the AI Dev Team (dev@) or the Data Science Lead.
    const request = h
      .outbox()
      .filter((m) => m.to === 'dev@example.com' && /Retrain the model/.test(m.subject))
      .at(-1);
    const incidentId = /\((inc_[0-9a-f]+)\)/.exec(request?.subject ?? '')?.[1] as string;

    // Act: a mail scanner follows the unsubscribe link at the foot of dev@'s email.
    const unsubscribed = await fetch(request?.unsubscribe as string);
    const told = await h.message('mlops@example.com', /Undelivered: AI Dev Team unconfirmed/, 5_000);
    const delivery = (await h.call('GET', '/v1/models/delivery-m')).body.delivery;
    const incident = await h.incident(incidentId);
    const resend = await h.call('POST', '/v1/models/delivery-m/delivery/resend');

    // Assess
    expect(unsubscribed.status).toBe(200);
    expect(told.text).toContain('dev@example.com is unsubscribed');
    expect(delivery['dev@example.com']).toBe('unsubscribed');
    expect(incident.audit.filter((e) => e.type === 'delivery.unconfirmed').at(-1)).toMatchObject({
      step: 'retraining',
      details: { roles: ['devTeam'], addresses: { 'dev@example.com': 'unsubscribed' } },
    });
    expect(resend.body.resent).toEqual(['dsl2@example.com', 'dev@example.com']);
    expect(resend.body.delivery['dev@example.com']).toBe('pending_confirmation');
    expect(confirmations('dev@example.com')).toHaveLength(2);
  });

  it('answers the confirmation link on this machine only, under a loopback host name', async () => {
    // Prepare
    const link = new URL(confirmations('dsl2@example.com').at(-1)?.links[0] as string);

    // Act
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: link.port,
          path: `${link.pathname}${link.search}`,
          headers: { host: 'attacker.example' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    const unknown = await fetch(`${link.origin}${link.pathname}?token=not-a-token`);
    const delivery = (await h.call('GET', '/v1/models/delivery-m')).body.delivery;

    // Assess
    expect(rebound).toBe(403);
    expect(unknown.status).toBe(404);
    expect(delivery['dsl2@example.com']).toBe('pending_confirmation');
  });

  it('lists the addresses and their state on the dashboard', async () => {
    const page = await waitFor(
      async () => {
        const text = await (await fetch(`${h.url}/`)).text();
        return text.includes('dsl2@example.com') ? text : undefined;
      },
      5_000,
      () => 'the dashboard does not list dsl2@example.com',
    );
    expect(page).toMatch(/dsl2@example\.com<\/th><td><span class="status bad">pending confirmation<\/span>/);
    expect(page).toMatch(/dsl@example\.com<\/th><td><span class="status good">confirmed<\/span>/);
  });
});
