import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Timer } from '../../local/webhooks.ts';
import { Harness } from './workflow/harness.ts';

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** The queue's waits (delays and backoff) taken at once: retries come without wall-clock waits. */
const immediate: Timer = (callback) => {
  const handle = setImmediate(callback);
  return () => clearImmediate(handle);
};

/** The signature check of the Standard Webhooks specification, written out. */
function verifyBySpec(secret: string, received: Received): boolean {
  const id = String(received.headers['webhook-id']);
  const timestamp = String(received.headers['webhook-timestamp']);
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${received.body}`).digest('base64');
  return String(received.headers['webhook-signature'])
    .split(' ')
    .some((part) => part === `v1,${expected}`);
}

describe('outbound webhooks on the local runtime', () => {
  let h: Harness;
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];
  /** Status answers per path, used up in order; 200 once they are. */
  const answers = new Map<string, number[]>();

  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = request.url ?? '/';
        received.push({ path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(answers.get(path)?.shift() ?? 200);
        response.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    h = await Harness.start({ webhookTimer: immediate });
  });
  afterAll(async () => {
    await h?.close();
    await new Promise<void>((resolve) => receiver?.close(() => resolve()));
  });

  const register = (body: Record<string, unknown>) => h.call('POST', '/v1/webhooks', { body });

  it('refuses bad webhooks with a 400 naming the field and keeps none', async () => {
    // Act
    const unknownEvent = await register({ url: `${receiverUrl}/x`, events: ['incident.opened', 'nope'] });
    const badScheme = await register({ url: 'ftp://example.com/hook', events: ['incident.opened'] });
    const metadata = await register({ url: 'https://169.254.169.254/latest', events: ['incident.opened'] });
    const privateHttp = await register({ url: 'http://10.0.0.8/hook', events: ['incident.opened'] });
    const noEvents = await register({ url: `${receiverUrl}/x`, events: [] });
    const badFormat = await register({
      url: `${receiverUrl}/x`,
      events: ['incident.opened'],
      format: 'teams',
    });

    // Assess
    const fields = (r: { body: unknown }) =>
      (r.body as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path);
    expect(unknownEvent.status).toBe(400);
    expect(fields(unknownEvent)).toEqual(['events[1]']);
    expect(badScheme.status).toBe(400);
    expect(fields(badScheme)).toEqual(['url']);
    expect(metadata.status).toBe(400);
    expect(fields(metadata)).toEqual(['url']);
    expect(privateHttp.status).toBe(400);
    expect(fields(noEvents)).toEqual(['events']);
    expect(fields(badFormat)).toEqual(['format']);
    expect((await h.call('GET', '/v1/webhooks')).body).toEqual({ webhooks: [] });
  });

  it('signs a test event, retries it after a 500 with the same webhook-id, and lists no secret', async () => {
    // Prepare
    const created = await register({
      url: `${receiverUrl}/ci?token=abc`,
      events: ['incident.opened'],
      description: 'CI pipeline',
    });
    expect(created.status, created.text).toBe(201);
    const { webhookId, secret } = created.body as { webhookId: string; secret: string };
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    answers.set('/ci?token=abc', [500]);

    // Act
    const test = await h.call('POST', `/v1/webhooks/${webhookId}/test`);
    await h.runtime.webhooks.idle();

    // Assess
    expect(test.status).toBe(202);
    const attempts = received.filter((r) => r.path === '/ci?token=abc');
    expect(attempts).toHaveLength(2);
    const [first, second] = attempts as [Received, Received];
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(first.headers['webhook-id']).toBe((test.body as { eventId: string }).eventId);
    for (const attempt of attempts) {
      expect(verifyBySpec(secret, attempt)).toBe(true);
      expect(new Webhook(secret).verify(attempt.body, attempt.headers as Record<string, string>)).toEqual({
        type: 'webhook.test',
        timestamp: expect.any(String),
        data: expect.objectContaining({ webhookId }),
      });
    }
    expect(verifyBySpec(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, second)).toBe(false);
    const listed = await h.call('GET', '/v1/webhooks');
    expect(listed.text).not.toContain(secret.slice(6));
    expect(listed.text).not.toContain('token=abc');
    expect(listed.body).toEqual({
      webhooks: [
        {
          webhookId,
          url: `${receiverUrl}/…`,
          events: ['incident.opened'],
          format: 'standard',
          description: 'CI pipeline',
          createdAt: expect.any(String),
        },
      ],
    });
    expect((await h.call('GET', `/v1/webhooks/${webhookId}/failures`)).body).toEqual({ failures: [] });
  });

  it('delivers the breach, the incident and its waiting step, signed, with links; a 410 lands in failures', async () => {
    // Prepare: a tracker for incidents and a chat channel that is gone.
    const tracker = await register({
      url: `${receiverUrl}/tracker`,
      events: ['evaluation.breach', 'incident.opened', 'incident.step_waiting'],
    });
    const chat = await register({ url: `${receiverUrl}/chat`, events: ['incident.opened'], format: 'slack' });
    expect(tracker.status).toBe(201);
    expect(chat.status).toBe(201);
    const { secret } = tracker.body as { secret: string };
    const chatId = (chat.body as { webhookId: string }).webhookId;
    answers.set('/chat', [410]);
    await h.registerModel('hooked');

    // Act
    const { incidentId } = await h.breachOverHttp('hooked');
    // The step's request is published after its emails are sent: wait for its delivery.
    await vi.waitFor(
      () => expect(received.filter((r) => r.path === '/tracker').length).toBeGreaterThanOrEqual(3),
      { timeout: 20_000, interval: 50 },
    );
    await h.runtime.webhooks.idle();

    // Assess
    const events = received
      .filter((r) => r.path === '/tracker')
      .map((r) => {
        expect(verifyBySpec(secret, r)).toBe(true);
        return JSON.parse(r.body) as { type: string; data: Record<string, unknown> };
      });
    expect(events.map((e) => e.type).sort()).toEqual([
      'evaluation.breach',
      'incident.opened',
      'incident.step_waiting',
    ]);
    const opened = events.find((e) => e.type === 'incident.opened');
    expect(opened?.data).toMatchObject({ incidentId, modelId: 'hooked', version: '1.0.0' });
    expect((opened?.data.links as Record<string, string> | undefined)?.incident).toBe(
      `${h.url}/v1/incidents/${incidentId}`,
    );
    expect(events.find((e) => e.type === 'incident.step_waiting')?.data).toMatchObject({
      incidentId,
      step: 'investigate',
      roles: ['dataScienceLead'],
    });

    const chatCalls = received.filter((r) => r.path === '/chat');
    expect(chatCalls).toHaveLength(1);
    expect(JSON.parse((chatCalls[0] as Received).body)).toMatchObject({
      text: expect.stringContaining(incidentId),
      blocks: expect.any(Array),
    });
    const failures = await h.call('GET', `/v1/webhooks/${chatId}/failures`);
    expect(failures.body).toEqual({
      failures: [
        expect.objectContaining({
          webhookId: chatId,
          type: 'incident.opened',
          reason: 'permanent',
          status: 410,
          attempts: 1,
          eventId: chatCalls[0]?.headers['webhook-id'],
        }),
      ],
    });
  });

  it('tells of the workflow: decisions, a promotion, a rollback and a closing', async () => {
    // Prepare
    const created = await register({
      url: `${receiverUrl}/flow`,
      events: ['incident.decided', 'incident.closed', 'model.promoted', 'model.rolled_back'],
    });
    const { secret } = created.body as { secret: string };
    const flow = (incidentId: string) =>
      received
        .filter((r) => r.path === '/flow')
        .map((r) => {
          expect(verifyBySpec(secret, r)).toBe(true);
          return JSON.parse(r.body) as { type: string; data: Record<string, unknown> };
        })
        .filter((e) => e.data.incidentId === incidentId);

    // Act: one incident retrained, promoted and rolled back; the other closed as a false alarm.
    await h.registerModel('flow-rollback');
    const rolled = await h.openIncident('flow-rollback');
    await h.decide(await h.message('dsl@example.com', /Investigate/), 'retrain', 'Drift.');
    await h.submitCandidate(rolled.incidentId, { version: '1.1.0', accuracy: 0.91 });
    await h.decide(await h.message('qa@example.com', /QA validation/), 'approve');
    await h.message('support@example.com', /in production/);
    await h.decide(await h.message('ops@example.com', /Operations verification/), 'rollback', 'Worse.');
    await h.registerModel('flow-close');
    const closed = await h.openIncident('flow-close');
    await h.decide(await h.message('dsl@example.com', /Investigate/), 'false_alarm', 'Seasonal.');
    await vi.waitFor(
      () => {
        expect(flow(rolled.incidentId).map((e) => e.type)).toContain('model.rolled_back');
        expect(flow(closed.incidentId).map((e) => e.type)).toContain('incident.closed');
      },
      { timeout: 30_000, interval: 100 },
    );
    await h.runtime.webhooks.idle();

    // Assess
    const decisions = (incidentId: string) =>
      flow(incidentId)
        .filter((e) => e.type === 'incident.decided')
        .map((e) => [e.data.step, e.data.decision]);
    expect(decisions(rolled.incidentId)).toEqual([
      ['investigate', 'retrain'],
      ['qa', 'approve'],
      ['operations', 'rollback'],
    ]);
    expect(flow(rolled.incidentId).find((e) => e.type === 'model.promoted')?.data).toMatchObject({
      modelId: 'flow-rollback',
      version: '1.1.0',
      previousVersion: '1.0.0',
    });
    expect(flow(rolled.incidentId).find((e) => e.type === 'model.rolled_back')?.data).toMatchObject({
      restoredVersion: '1.0.0',
      rolledBackVersion: '1.1.0',
      decidedBy: 'ops@example.com',
    });
    expect(decisions(closed.incidentId)).toEqual([['investigate', 'false_alarm']]);
    expect(flow(closed.incidentId).find((e) => e.type === 'incident.closed')?.data).toMatchObject({
      modelId: 'flow-close',
      status: 'false_alarm',
    });
  });

  it('deletes a webhook: it is gone from the list and its routes answer 404', async () => {
    // Prepare
    const created = await register({ url: `${receiverUrl}/old`, events: ['incident.closed'] });
    const { webhookId } = created.body as { webhookId: string };

    // Act
    const deleted = await h.call('DELETE', `/v1/webhooks/${webhookId}`);
    const again = await h.call('DELETE', `/v1/webhooks/${webhookId}`);

    // Assess
    expect(deleted.status).toBe(200);
    expect(again.status).toBe(404);
    expect((await h.call('POST', `/v1/webhooks/${webhookId}/test`)).status).toBe(404);
    const listed = (await h.call('GET', '/v1/webhooks')).body as { webhooks: { webhookId: string }[] };
    expect(listed.webhooks.map((w) => w.webhookId)).not.toContain(webhookId);
    expect((await h.call('GET', '/v1/webhooks/wh_nope/failures')).status).toBe(400);
  });
});
