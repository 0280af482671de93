import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { localDynamoDbClient, localTableNames } from '../../../local/dynamodb.ts';
import { Harness } from '../workflow/harness.ts';

/**
 * The approval links and pages against the attacks and accidents they must withstand: mail
 * scanners that open every link, double submissions, tampered or foreign signatures, expired
 * links, and a decision that arrives after its step stopped waiting.
 */
describe('approval pages', () => {
  let h: Harness;
  let db: DynamoDBDocumentClient;
  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    h = await Harness.start();
    db = DynamoDBDocumentClient.from(localDynamoDbClient(h.runtime.dynamoEndpoint));
  });
  afterAll(async () => {
    db?.destroy();
    await h?.close();
  });

  async function approvalItem(approvalId: string) {
    const { Item } = await db.send(
      new GetCommand({
        TableName: localTableNames().Governance,
        Key: { pk: `APPROVAL#${approvalId}`, sk: '#APPROVAL' },
        ConsistentRead: true,
      }),
    );
    return Item;
  }

  function approvalIdOf(link: string): string {
    return new URL(link).pathname.split('/').at(-1) as string;
  }

  async function investigation(modelId: string, governance = {}) {
    await h.registerModel(modelId, governance);
    const evaluationId = `eval-${modelId}`;
    await h.putEvaluation({
      evaluationId,
      modelId,
      status: 'breach',
      windowStart: '2026-01-01T00:00:00.000Z',
      windowEnd: '2026-01-02T00:00:00.000Z',
      reasons: ['age drifted (psi 0.41 > 0.2)'],
    });
    const incident = await h.openIncident(modelId, evaluationId);
    const message = await h.message('dsl@example.com', /Investigate the alert/);
    return { incident, message, approvalId: approvalIdOf(message.links[0] as string) };
  }

  it('GET shows the evidence and a form, with no caching, framing or referrer, and changes nothing', async () => {
    // Prepare
    const { incident, message, approvalId } = await investigation('scanned');
    const before = {
      approval: await approvalItem(approvalId),
      incident: await h.incident(incident.incidentId),
    };

    // Act: a mail scanner opens the link, twice.
    const first = await fetch(message.links[0] as string);
    const page = await first.text();
    await fetch(message.links[0] as string);

    // Assess
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.headers.get('referrer-policy')).toBe('no-referrer');
    expect(first.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(first.headers.get('x-frame-options')).toBe('DENY');
    expect(page).toContain('<html lang="en">');
    expect(page).toContain('for dsl@example.com as Data Science Lead');
    expect(page).toContain('<caption class="muted">Drift per feature</caption>');
    expect(page).toMatch(/<td>age<\/td><td>numerical<\/td><td>PSI<\/td><td class="num">0\.4100<\/td>/);
    expect(page).toContain('value="retrain"');
    expect(page).toContain('value="false_alarm"');
    expect(page).not.toMatch(/<script|https?:\/\/(?!localhost)/);
    expect(await approvalItem(approvalId)).toEqual(before.approval);
    const after = await h.incident(incident.incidentId);
    expect(after.audit).toEqual(before.incident.audit);
    expect(after.history).toEqual(before.incident.history);
    expect(h.engine.execution(incident.incidentId)?.states.at(-1)).toBe('Investigate');
  });

  it('takes one decision: a second POST answers 409, also from the other recipient, and the workflow moves once', async () => {
    // Prepare
    const { incident, message, approvalId } = await investigation('twice');
    const { token } = await h.open(message);
    const form = { token: token as string, decision: 'retrain', comment: 'Real drift.' };

    // Act: a double click, then the other Data Science Lead.
    const [a, b] = await Promise.all([
      h.call('POST', message.links[0] as string, { key: null, form }),
      h.call('POST', message.links[0] as string, { key: null, form }),
    ]);
    const other = await h.message('dsl2@example.com', /Investigate the alert/);
    const { page: otherPage } = await h.open(other);
    await h.message('dev@example.com', /Retrain the model/);

    // Assess
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    expect([a, b].find((r) => r.status === 409)?.text).toContain(
      'already decided: &quot;retrain&quot; by dsl@example.com',
    );
    expect(otherPage.status).toBe(200);
    expect(otherPage.text).toContain(
      'Decided: <strong>Real drift: request retraining</strong> by dsl@example.com',
    );
    expect(otherPage.text).not.toContain('name="token"');
    const second = await h.call('POST', other.links[0] as string, {
      key: null,
      form: { token: token as string, decision: 'false_alarm', comment: 'no' },
    });
    expect(second.status).toBe(409);
    const detail = await h.incident(incident.incidentId);
    expect(detail.audit.filter((e) => e.type === 'decision')).toHaveLength(1);
    expect(await approvalItem(approvalId)).toMatchObject({
      status: 'decided',
      decision: 'retrain',
      decidedBy: 'dsl@example.com',
    });
    const states = h.engine.execution(incident.incidentId)?.states ?? [];
    expect(states.filter((s) => s === 'Drift confirmed?')).toHaveLength(1);
    expect(states.at(-1)).toBe('Await candidate');
  });

  it('shows a decided link its decision only, and past its expiry only who decided and when', async () => {
    // Prepare: a decision, then a candidate that changes the incident after it.
    const { incident, message, approvalId } = await investigation('decided-link');
    expect((await h.decide(message, 'retrain', 'Confirmed drift on age.')).status).toBe(200);
    expect((await h.submitCandidate(incident.incidentId, { version: '1.1.0', accuracy: 0.91 })).status).toBe(
      202,
    );
    await h.incidentWhen(incident.incidentId, (i) => i.candidate?.version === '1.1.0');

    // Act: the link read before its expiry, then after it.
    const before = await h.call('GET', message.links[0] as string, { key: null });
    const expiresAt = Date.parse((await approvalItem(approvalId))?.expiresAt as string);
    vi.useFakeTimers({ toFake: ['Date'], now: expiresAt + 1000 });
    const after = await h
      .call('GET', message.links[0] as string, { key: null })
      .finally(() => vi.useRealTimers());

    // Assess
    expect(before.status).toBe(200);
    expect(before.text).toContain(
      'Decided: <strong>Real drift: request retraining</strong> by dsl@example.com',
    );
    expect(before.text).toContain('Confirmed drift on age.');
    for (const later of [
      's3://models/1.1.0',
      'Retrained on the last 30 days',
      'Candidate 1.1.0',
      'Drift per feature',
    ]) {
      expect(before.text).not.toContain(later);
    }
    expect(after.status).toBe(200);
    expect(after.text).toMatch(/This request was decided by dsl@example\.com at \d{4}-\d\d-\d\dT/);
    for (const hidden of [
      'Real drift',
      'Confirmed drift',
      's3://',
      'Investigate',
      incident.incidentId,
      'decided-link',
    ]) {
      expect(after.text).not.toContain(hidden);
    }
  });

  it('refuses a tampered signature or form token with 403 and records nothing', async () => {
    // Prepare
    const { incident, message, approvalId } = await investigation('tampered');
    const link = new URL(message.links[0] as string);
    const sig = link.searchParams.get('sig') as string;
    const { token } = await h.open(message);
    const flip = (s: string) => `${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    const before = await approvalItem(approvalId);

    // Act
    link.searchParams.set('sig', flip(sig));
    const badLink = await h.call('GET', link.toString(), { key: null });
    const noSig = await h.call('GET', `${h.url}/approvals/${approvalId}`, { key: null });
    const badToken = await h.call('POST', message.links[0] as string, {
      key: null,
      form: { token: flip(token as string), decision: 'false_alarm', comment: 'forged' },
    });
    const linkAsToken = await h.call('POST', message.links[0] as string, {
      key: null,
      form: { token: sig, decision: 'false_alarm', comment: 'the link signature is not a form token' },
    });
    const noToken = await h.call('POST', message.links[0] as string, {
      key: null,
      form: { decision: 'false_alarm', comment: 'no token' },
    });

    // Assess
    expect([badLink.status, noSig.status, badToken.status, linkAsToken.status, noToken.status]).toEqual([
      403, 403, 403, 403, 403,
    ]);
    expect(badLink.text).toContain('The signature of this link is not valid');
    expect(await approvalItem(approvalId)).toEqual(before);
    expect((await h.incident(incident.incidentId)).audit.some((e) => e.type === 'decision')).toBe(false);
  });

  it('binds a link to its recipient: the form decides as them, whatever it claims, and no other address can sign', async () => {
    // Prepare
    const { incident, message, approvalId } = await investigation('bound');
    const { sign } = await import('../../../functions/commons/approvals/signing.ts');
    const approval = await approvalItem(approvalId);
    const forged = await sign('form', {
      approvalId,
      recipient: 'mallory@example.com',
      expiresAt: approval?.expiresAt as string,
    });
    const { token } = await h.open(message);

    // Act
    const outsider = await h.call('POST', message.links[0] as string, {
      key: null,
      form: {
        token: forged,
        decision: 'false_alarm',
        comment: 'signed for an address that is not a recipient',
      },
    });
    const decided = await h.call('POST', message.links[0] as string, {
      key: null,
      form: {
        token: token as string,
        decision: 'retrain',
        comment: 'Confirmed.',
        decidedBy: 'dsl2@example.com',
        recipient: 'dsl2@example.com',
      },
      headers: { 'user-agent': 'Mozilla/5.0 (approver)' },
    });
    await h.message('dev@example.com', /Retrain the model/);
    const qa = await h.call('POST', `/v1/incidents/${incident.incidentId}/candidate`, {
      body: {
        version: '1.1.0',
        artifactUri: 's3://m/1.1.0',
        metrics: { accuracy: 0.91 },
        scopeChanged: false,
      },
    });
    const qaMessage = await h.message('qa@example.com', /QA validation/);
    const foreignLink = new URL(qaMessage.links[0] as string);
    foreignLink.searchParams.set(
      'sig',
      new URL(message.links[0] as string).searchParams.get('sig') as string,
    );
    const foreign = await h.call('GET', foreignLink.toString(), { key: null });

    // Assess
    expect(outsider.status).toBe(403);
    expect(decided.status).toBe(200);
    expect(qa.status).toBe(202);
    expect(foreign.status).toBe(403);
    expect(await approvalItem(approvalId)).toMatchObject({
      decidedBy: 'dsl@example.com',
      userAgent: 'Mozilla/5.0 (approver)',
    });
    const decision = (await h.incident(incident.incidentId)).audit.find((e) => e.type === 'decision');
    expect(decision).toMatchObject({
      actor: 'dsl@example.com',
      step: 'investigate',
      details: { approvalId, decision: 'retrain', comment: 'Confirmed.' },
      sourceIp: expect.stringMatching(/127\.0\.0\.1/),
      userAgent: 'Mozilla/5.0 (approver)',
    });
  });

  it('answers 410 for an expired link, and after a reminder only the new link decides', async () => {
    // Prepare: three seconds to answer.
    const { incident, message, approvalId } = await investigation('expired', {
      approvalTimeoutHours: 3 / 3600,
    });
    const { token } = await h.open(message);

    // Act: nobody answers in time; a reminder comes with a new link.
    const reminder = await h.message('dsl@example.com', /Reminder 1\/2: Investigate/);
    const stale = await h.open(message);
    const lateDecision = await h.call('POST', message.links[0] as string, {
      key: null,
      form: { token: token as string, decision: 'retrain', comment: 'late' },
    });
    const onTime = await h.decide(reminder, 'retrain', 'On time this time.');

    // Assess
    expect(stale.page.status).toBe(410);
    expect(stale.page.text).toContain('a reminder with a new link has been sent');
    expect(lateDecision.status).toBe(410);
    expect(await approvalItem(approvalId)).toMatchObject({ status: 'expired' });
    expect(onTime.status).toBe(200);
    await h.message('dev@example.com', /Retrain the model/);
    expect((await h.incident(incident.incidentId)).currentStep).toBe('retraining');
  });

  it('answers a clear 410 page when the task no longer waits, and 400 or 415 for an unusable form', async () => {
    // Prepare
    const { incident, message } = await investigation('lapsed');
    // A request whose task stopped waiting while its record still says pending (its execution ended).
    const { putApproval } = await import('../../../functions/commons/approvals/store.ts');
    const { approvalLink } = await import('../../../functions/commons/approvals/request.ts');
    const ended = {
      approvalId: `apr_${'e'.repeat(32)}`,
      incidentId: incident.incidentId,
      modelId: 'lapsed',
      step: 'qa',
      kind: 'decision' as const,
      roles: ['qa' as const],
      options: ['approve', 'reject'],
      recipients: ['qa@example.com'],
      requestedAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
      reminder: 0,
      cycle: 1,
      status: 'pending' as const,
    };
    await putApproval(ended, 'local-task-of-an-ended-execution');
    const endedLink = await approvalLink(ended, 'qa@example.com');

    // Act
    const lapsed = await h.decide({ ...message, links: [endedLink] }, 'approve', 'Looks good.');
    const afterwards = await h.call('GET', endedLink, { key: null });
    const invalid = await h.decide(message, 'approve', 'not an option of this step');
    const noComment = await h.decide(message, 'false_alarm');
    const unsupported = await h.call('POST', message.links[0] as string, {
      key: null,
      body: { decision: 'retrain' },
    });
    const unknown = await h.call('GET', `${h.url}/approvals/apr_${'0'.repeat(32)}?sig=x`, { key: null });

    // Assess
    expect(lapsed.status).toBe(410);
    expect(lapsed.text).toContain('no longer waits for a decision');
    expect(lapsed.text).toContain('Your decision was recorded but not applied.');
    expect(afterwards.status).toBe(410);
    expect(await approvalItem(ended.approvalId)).toMatchObject({
      status: 'lapsed',
      decision: 'approve',
      decidedBy: 'qa@example.com',
    });
    expect((await h.incident(incident.incidentId)).audit.map((e) => e.type)).toEqual(
      expect.arrayContaining(['decision', 'decision.lapsed']),
    );
    expect(invalid.status).toBe(400);
    expect(invalid.text).toContain('Choose one of the options: retrain, false_alarm.');
    expect(noComment.status).toBe(400);
    expect(noComment.text).toContain('Please explain');
    expect(unsupported.status).toBe(415);
    expect(unknown.status).toBe(404);
    expect(h.engine.execution(incident.incidentId)?.states.at(-1)).toBe('Investigate');
  });
});
