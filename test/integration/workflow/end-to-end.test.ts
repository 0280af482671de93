import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { IncidentDetail } from '../../../functions/commons/incidents/view.ts';
import type { OutboxMessage } from '../../../local/outbox.ts';
import { Harness, waitFor } from './harness.ts';

/**
 * From an open incident to a resolved one over HTTP alone, as people and a training pipeline
 * would on `npm start`: emails read from `GET /_local/outbox`, every link followed, every form
 * posted, the candidate posted with the model's own key, the result read from the incident API.
 */
describe('governance over HTTP, end to end', () => {
  let h: Harness;
  const taken = new Set<string>();
  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    h = await Harness.start();
  });
  afterAll(async () => h?.close());

  /** The next unread email to `to` whose subject matches, from the local outbox over HTTP. */
  async function email(to: string, subject: RegExp): Promise<OutboxMessage> {
    return waitFor(
      async () => {
        const outbox = (await h.call('GET', '/_local/outbox', { key: null })).body as OutboxMessage[];
        const found = outbox.find((m) => m.to === to && subject.test(m.subject) && !taken.has(m.id));
        if (found) taken.add(found.id);
        return found;
      },
      20_000,
      () => `no email to ${to} matching ${subject}`,
    );
  }

  /** Opens the link of the email, reads the form, and posts the decision from a browser. */
  async function decide(message: OutboxMessage, decision: string, fields: Record<string, string> = {}) {
    const link = message.links[0] as string;
    const page = await fetch(link, { headers: { 'user-agent': 'Mail-Browser/2.0' } });
    const html = await page.text();
    expect(page.status).toBe(200);
    const token = /name="token" value="([^"]+)"/.exec(html)?.[1] as string;
    const response = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Mail-Browser/2.0' },
      body: new URLSearchParams({ token, decision, comment: '', ...fields }).toString(),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Thank you');
  }

  it('walks an incident from its alert to resolved, with a complete audit trail', async () => {
    // Prepare: a model, a key for its training pipeline, a key of another model, and drifted
    // predictions whose evaluation opens the incident.
    await h.registerModel('churn-e2e');
    await h.registerModel('other-e2e');
    const candidateScope = { body: { scopes: ['candidate'] } };
    const pipelineKey = (await h.call('POST', '/v1/models/churn-e2e/keys', candidateScope)).body
      .key as string;
    const strangerKey = (await h.call('POST', '/v1/models/other-e2e/keys', candidateScope)).body
      .key as string;
    const { incidentId, reasons } = await h.breachOverHttp('churn-e2e');
    expect(reasons[0]).toMatch(/^Data drift in 2 of 2 features/);

    // Act
    await decide(await email('dsl@example.com', /Investigate the alert, Model churn-e2e/), 'retrain', {
      comment: 'Confirmed input drift on age.',
    });
    const request = await email('dev@example.com', /Retrain the model, Model churn-e2e/);
    const candidate = {
      version: '1.1.0',
      artifactUri: 's3://models/churn/1.1.0',
      metrics: { accuracy: 0.92, f1: 0.88 },
      scopeChanged: false,
      notes: 'Retrained on the last 30 days.',
    };
    const stranger = await h.call('POST', `/v1/incidents/${incidentId}/candidate`, {
      key: strangerKey,
      body: candidate,
    });
    const older = await h.call('POST', `/v1/incidents/${incidentId}/candidate`, {
      key: pipelineKey,
      body: { ...candidate, version: '0.9.0' },
    });
    await h.call('POST', '/v1/models/churn-e2e/versions', {
      body: { version: '1.0.5', artifactUri: 's3://x' },
    });
    const registered = await h.call('POST', `/v1/incidents/${incidentId}/candidate`, {
      key: pipelineKey,
      body: { ...candidate, version: '1.0.5' },
    });
    const submitted = await h.call('POST', `/v1/incidents/${incidentId}/candidate`, {
      key: pipelineKey,
      body: candidate,
      headers: { 'user-agent': 'training-pipeline/3.1' },
    });
    const again = await h.call('POST', `/v1/incidents/${incidentId}/candidate`, {
      key: pipelineKey,
      body: { ...candidate, version: '1.1.1' },
    });
    await decide(await email('qa@example.com', /QA validation/), 'approve', { comment: 'QA suite green.' });
    const support = await email('support@example.com', /version 1\.1\.0 is in production/);
    await decide(await email('ops@example.com', /Operations verification/), 'confirm');
    await decide(await email('dsl2@example.com', /Post-implementation review/), 'submit', {
      summary: 'Drift on age after a campaign; retrained.',
      rootCause: 'New acquisition channel.',
      lessonsLearned: 'Share campaign calendars with MLOps.',
      actions: 'DSL to add a campaign feature.',
    });
    await decide(await email('irb@example.com', /Sign-off of the post-implementation review/), 'approve');
    const incident = await waitFor(
      async () => {
        const detail = (await h.call('GET', `/v1/incidents/${incidentId}`)).body as IncidentDetail;
        // The closing event is appended just after the incident's status changes.
        return detail.audit.some((e) => e.type === 'incident.closed') ? detail : undefined;
      },
      20_000,
      () => 'incident still open',
    );
    const listed = await h.call('GET', '/v1/incidents?modelId=churn-e2e&status=resolved');

    // Assess: the API's answers along the way
    expect(request.text).toContain(`POST ${h.url}/v1/incidents/${incidentId}/candidate`);
    expect(stranger.status).toBe(403);
    expect(older.status).toBe(400);
    expect(older.body.error.issues).toEqual([
      { path: 'version', message: "must be a semantic version greater than production's 1.0.0" },
    ]);
    expect(submitted.status).toBe(202);
    expect(submitted.body).toMatchObject({
      incidentId,
      next: 'revalidation',
      candidate: { version: '1.1.0' },
    });
    expect(again.status).toBe(409);
    // A version already in the registry is refused and the step keeps waiting; a refused
    // submission registers nothing.
    expect(registered.status).toBe(409);
    expect(registered.body.error.issues[0].path).toBe('version');
    const versions = (await h.call('GET', '/v1/models/churn-e2e')).body.versions.map(
      (v: { version: string }) => v.version,
    );
    expect(versions.sort()).toEqual(['1.0.0', '1.0.5', '1.1.0']);
    expect(support.text).toContain('Retrained on the last 30 days.');

    // Assess: the incident
    expect(incident).toMatchObject({ status: 'resolved', currentStep: 'closed', retrainingCycles: 1 });
    expect(typeof incident.timeToResolutionSeconds).toBe('number');
    expect(listed.body.incidents.map((i: { incidentId: string }) => i.incidentId)).toEqual([incidentId]);
    expect(JSON.stringify(incident)).not.toMatch(/taskToken|local-[0-9a-f-]{36}/);

    // Assess: every step entered was left, in the SOP's order
    const steps = incident.history.filter((e) => e.event === 'entered').map((e) => e.step);
    expect(steps).toEqual([
      'opened',
      'investigate',
      'retraining',
      'revalidation',
      'qa',
      'promotion',
      'support_notice',
      'stabilisation',
      'verification_check',
      'operations',
      'pir',
      'pir_signoff',
      'closed',
    ]);
    for (const step of steps.filter((s) => s !== 'opened' && s !== 'closed')) {
      expect(
        incident.history.filter((e) => e.step === step && e.event === 'left'),
        step,
      ).toHaveLength(1);
      expect(
        incident.audit.filter((e) => e.step === step && e.type === 'step.entered'),
        step,
      ).toHaveLength(1);
      expect(
        incident.audit.filter((e) => e.step === step && e.type === 'step.left'),
        step,
      ).toHaveLength(1);
    }

    // Assess: every decision says who, when, what, why, from where and with what
    const decisions = incident.audit.filter((e) => e.type === 'decision');
    expect(decisions.map((e) => [e.step, e.actor, e.details?.decision, e.details?.comment])).toEqual([
      ['investigate', 'dsl@example.com', 'retrain', 'Confirmed input drift on age.'],
      ['qa', 'qa@example.com', 'approve', 'QA suite green.'],
      ['operations', 'ops@example.com', 'confirm', ''],
      ['pir', 'dsl2@example.com', 'submit', ''],
      ['pir_signoff', 'irb@example.com', 'approve', ''],
    ]);
    for (const decision of decisions) {
      expect(decision).toMatchObject({ at: expect.any(String), userAgent: 'Mail-Browser/2.0' });
      expect(decision.sourceIp).toMatch(/127\.0\.0\.1/);
    }
    expect(incident.audit.find((e) => e.type === 'candidate.submitted')).toMatchObject({
      actor: expect.stringMatching(/^model:key_[0-9a-f]{16}$/),
      userAgent: 'training-pipeline/3.1',
      details: { version: '1.1.0', scopeChanged: false },
    });
    expect(incident.audit.map((e) => e.type)).toEqual(
      expect.arrayContaining(['incident.opened', 'workflow.started', 'request.sent', 'incident.closed']),
    );
    expect(incident.pir).toMatchObject({ submittedBy: 'dsl2@example.com', approvedBy: 'irb@example.com' });
  });
  it('opens every link of every email for its recipient, in a browser, without a key', async () => {
    const outbox = (await h.call('GET', '/_local/outbox', { key: null })).body as OutboxMessage[];
    const alerts = outbox.filter((m) => m.subject.includes('monitoring alert'));
    expect(alerts.map((m) => m.to).sort()).toEqual([
      'dev@example.com',
      'dsl2@example.com',
      'dsl@example.com',
    ]);
    const opened: string[] = [];
    for (const message of outbox) {
      // Every address in the text is one of the email's links, but the API instruction for the
      // training pipeline (POST .../candidate, with a key).
      const inText = [...message.text.matchAll(/https?:\/\/\S+/g)].map((m) => m[0]);
      const instructions = [...message.text.matchAll(/^ {2}POST (\S+)$/gm)].map((m) => m[1]);
      expect(
        inText.filter((url) => !message.links.includes(url) && !instructions.includes(url)),
        message.subject,
      ).toEqual([]);
      for (const link of message.links) {
        const response = await fetch(link, { headers: { 'user-agent': 'Mail-Browser/2.0' } });
        const body = await response.text();
        const path = new URL(link).pathname;
        if (path.startsWith('/views/')) {
          // Read-only views open for as long as the link lives.
          expect(response.status, `${message.subject}: ${path}`).toBe(200);
          if (path.startsWith('/views/incidents/'))
            expect(body).toContain(`Read-only view for ${message.to}`);
          else expect(body).toContain('<svg');
        } else {
          // Approval links: 200 (the form, or the decision once taken), 409 or 410 (closed).
          expect(path).toMatch(/^\/approvals\/apr_[0-9a-f]{32}$/);
          expect([200, 409, 410], `${message.subject}: ${response.status}`).toContain(response.status);
        }
        opened.push(path.split('/')[1] as string);
      }
    }
    expect(opened.filter((kind) => kind === 'views')).toHaveLength(6);
    expect(opened.filter((kind) => kind === 'approvals').length).toBeGreaterThanOrEqual(5);
  });
});
