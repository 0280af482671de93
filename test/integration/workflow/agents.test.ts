import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../../local/api-gateway.ts';
import { approvers, Harness } from './harness.ts';

type Tick = typeof import('../../../functions/commons/agents/tick.ts').runAgentTick;

/**
 * Authorized agents (SOP section 4) on the local runtime: a model delegates human steps in
 * `governance.agents`; a key with the `agent` scope decides them over the API; the step's role
 * is emailed the decision with each person's link to overrule it; the scheduled tick applies it
 * once the overrule window has ended. The runtime's own scheduler loop is off: each test drives
 * the tick with the time it needs (an injected clock).
 */
describe('authorized agents', () => {
  let h: Harness;
  let tick: Tick;
  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    h = await Harness.start({ schedulerTickSeconds: 0 });
    tick = (await import('../../../functions/commons/agents/tick.ts')).runAgentTick;
  });
  afterAll(async () => h?.close());

  const at = (iso: string, plusMs = 0) => new Date(Date.parse(iso) + plusMs);

  async function agentKey(modelId: string, name = 'triage-bot'): Promise<{ keyId: string; key: string }> {
    const created = await h.call('POST', `/v1/models/${modelId}/keys`, { body: { scopes: ['agent'], name } });
    expect(created.status, created.text).toBe(201);
    return created.body;
  }

  const decide = (incidentId: string, key: string, body: unknown) =>
    h.call('POST', `/v1/incidents/${incidentId}/decisions`, { key, body });

  /** A model delegating `agents`, an incident waiting for the Data Science Lead, and an agent key. */
  async function waitingIncident(modelId: string, agents: string[], agentOverruleMinutes?: number) {
    await h.registerModel(modelId, {
      approvalTimeoutHours: 1,
      agents,
      ...(agentOverruleMinutes === undefined ? {} : { agentOverruleMinutes }),
    });
    const agent = await agentKey(modelId);
    const { incidentId } = await h.openIncident(modelId);
    const request = await h.message('dsl@example.com', /Investigate the alert/);
    return { incidentId, agent, request };
  }

  it('refuses a model that names the AI-IRB, Legal or PIR sign-off step, or an unknown one, writing nothing', async () => {
    // Prepare
    const register = (modelId: string, governance: Record<string, unknown>) =>
      h.call('PUT', `/v1/models/${modelId}`, {
        body: {
          name: modelId,
          owner: 'ds@example.com',
          task: 'classification',
          features: [{ name: 'age', type: 'numerical' }],
          approvers,
          governance,
        },
      });

    // Act
    const irb = await register('agents-irb', { agents: ['investigate', 'irb'] });
    const legal = await register('agents-legal', { agents: ['legal', 'qa', 'pir_signoff'] });
    const unknown = await register('agents-unknown', { agents: ['promote'] });
    const minutes = await register('agents-minutes', { agents: ['qa'], agentOverruleMinutes: 1441 });
    const fractional = await register('agents-fraction', { agentOverruleMinutes: 1.5 });
    const stored = await Promise.all(
      ['agents-irb', 'agents-legal', 'agents-unknown', 'agents-minutes', 'agents-fraction'].map((id) =>
        h.call('GET', `/v1/models/${id}`).then((r) => r.status),
      ),
    );
    const fine = await register('agents-fine', { agents: ['investigate', 'qa', 'operations', 'qa'] });

    // Assess
    expect(irb.status).toBe(400);
    expect(irb.body.error.issues).toEqual([
      { path: 'governance.agents[1]', message: expect.stringContaining('always decided by a person') },
    ]);
    expect(legal.status).toBe(400);
    expect(legal.body.error.issues.map((i: { path: string }) => i.path)).toEqual([
      'governance.agents[0]',
      'governance.agents[2]',
    ]);
    expect(unknown.body.error.issues).toEqual([
      { path: 'governance.agents[0]', message: expect.stringContaining('not a decision step') },
    ]);
    expect(minutes.body.error.issues[0].path).toBe('governance.agentOverruleMinutes');
    expect(fractional.body.error.issues[0].path).toBe('governance.agentOverruleMinutes');
    expect(stored).toEqual([404, 404, 404, 404, 404]);
    expect(fine.status).toBe(201);
    expect(fine.body.governance).toMatchObject({
      agents: ['investigate', 'qa', 'operations'],
      agentOverruleMinutes: 15,
    });
  });

  it('decides a delegated step, tells the role with their overrule links, and applies it once the window ends', async () => {
    // Prepare
    const { incidentId, agent } = await waitingIncident('agent-delay', ['investigate'], 15);
    const body = {
      step: 'investigate',
      decision: 'retrain',
      comment: 'Age shifted by 25 years: real drift. <script>alert(1)</script>',
    };

    // Act: the decision, its replay, the announcement, a tick before the window ends, one after.
    const decided = await decide(incidentId, agent.key, body);
    const replayed = await decide(incidentId, agent.key, body);
    const { effectiveAt, decidedAt } = decided.body as { effectiveAt: string; decidedAt: string };
    const announced = await tick(at(decidedAt, 1000));
    const email = await h.message('dsl2@example.com', /Agent decision: Investigate the alert/);
    const page = await h.call('GET', email.links[0] as string, { key: null });
    const early = await tick(at(effectiveAt, -1000));
    const waiting = await h.incident(incidentId);
    const due = await tick(at(effectiveAt));
    const retraining = await h.message('dev@example.com', /Retrain the model/);
    const incident = await h.incidentWhen(incidentId, (i) => i.currentStep === 'retraining');
    const afterwards = await decide(incidentId, agent.key, body);
    const decidedPage = await h.call('GET', email.links[0] as string, { key: null });

    // Assess: the agent's answers
    const decidedBy = `agent:${agent.keyId}`;
    expect(decided.status, decided.text).toBe(202);
    expect(decided.body).toMatchObject({
      status: 'pending',
      incidentId,
      step: 'investigate',
      decision: 'retrain',
      decidedBy,
      keyId: agent.keyId,
      keyName: 'triage-bot',
    });
    expect(Date.parse(effectiveAt) - Date.parse(decidedAt)).toBe(15 * 60_000);
    expect(replayed.status).toBe(202);
    expect(replayed.body).toEqual(decided.body);
    expect(afterwards.status).toBe(200);
    expect(afterwards.body).toEqual({ ...decided.body, status: 'applied' });

    // The role was told, each person with their own link, and could still decide.
    expect(announced).toMatchObject({ announced: 1, applied: 0 });
    expect(email.text).toContain('"triage-bot"');
    expect(email.text).toContain(agent.keyId);
    expect(email.text).toContain(`It takes effect at ${effectiveAt}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('An authorized agent');
    expect(page.text).toContain('real drift. &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.text).not.toContain('<script>');
    expect(page.text).toContain('name="token"');

    // Nothing took effect before the window ended; then the workflow went on with the decision.
    expect(early).toMatchObject({ applied: 0 });
    expect(waiting.currentStep).toBe('investigate');
    expect(waiting.approvals.at(-1)).toMatchObject({
      status: 'pending',
      agentDecision: { decision: 'retrain', decidedBy, keyName: 'triage-bot', effectiveAt },
    });
    expect(due).toMatchObject({ applied: 1, failed: [] });
    expect(retraining.subject).toContain('Retrain the model');
    expect(incident.approvals.at(-1)).toMatchObject({
      status: 'decided',
      decision: 'retrain',
      comment: body.comment,
      decidedBy,
      decidedAt: effectiveAt,
    });
    expect(incident.history).toContainEqual(
      expect.objectContaining({ step: 'investigate', event: 'left', outcome: 'retrain', by: decidedBy }),
    );
    const agentEvents = incident.audit.filter((e) => e.actor === decidedBy);
    expect(agentEvents.map((e) => e.type)).toEqual(['agent.decided', 'decision', 'step.left']);
    for (const event of agentEvents.slice(0, 2)) {
      expect(event.details).toMatchObject({ actorType: 'agent', keyId: agent.keyId, keyName: 'triage-bot' });
    }
    expect(decidedPage.text).toContain(decidedBy);
    expect(decidedPage.text).not.toContain('name="token"');
  });

  it('leaves a decision that comes due in the last moments of its request to the reminder, writing nothing', async () => {
    // Prepare: an agent decision, announced, whose tick comes 10 seconds before the request
    // expires (within its 30-second margin: the step may time out before the resume).
    const { incidentId, agent } = await waitingIncident('agent-late', ['investigate'], 15);
    const decided = await decide(incidentId, agent.key, {
      step: 'investigate',
      decision: 'retrain',
      comment: 'Real drift.',
    });
    expect(decided.status, decided.text).toBe(202);
    expect(await tick(at(decided.body.decidedAt, 1000))).toMatchObject({ announced: 1 });
    await h.message('dsl2@example.com', /Agent decision: Investigate the alert/);
    const { expiresAt } = (await h.incident(incidentId)).approvals.at(-1) as { expiresAt: string };

    // Act
    const late = await tick(at(expiresAt, -10_000));
    const incident = await h.incident(incidentId);

    // Assess: not applied; the request still pending, no decision in the audit trail.
    expect(late).toMatchObject({ applied: 0, failed: [] });
    expect(incident.currentStep).toBe('investigate');
    expect(incident.approvals.at(-1)).toMatchObject({ status: 'pending' });
    expect(incident.audit.map((e) => e.type)).not.toContain('decision');
  });

  it('refuses a decision posted in the last moments of its request, writing nothing', async () => {
    // Prepare: no overrule window, the clock 10 seconds before the request expires.
    const { incidentId, agent } = await waitingIncident('agent-last', ['investigate'], 0);
    const { expiresAt } = (await h.incident(incidentId)).approvals.at(-1) as { expiresAt: string };

    // Act
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse(expiresAt) - 10_000 });
    const late = await decide(incidentId, agent.key, {
      step: 'investigate',
      decision: 'retrain',
      comment: 'Real drift.',
    }).finally(() => vi.useRealTimers());
    const incident = await h.incident(incidentId);

    // Assess
    expect(late.status, late.text).toBe(409);
    expect(late.body.error.issues).toEqual([{ path: 'step', message: expect.any(String) }]);
    expect(incident.approvals.at(-1)).toMatchObject({ status: 'pending' });
    expect(incident.approvals.at(-1)?.agentDecision).toBeUndefined();
    expect(incident.audit.map((e) => e.type)).not.toContain('agent.decided');
    expect(incident.currentStep).toBe('investigate');
  });

  it('applies the decision at once when the model allows no overrule window', async () => {
    // Prepare
    const { incidentId, agent } = await waitingIncident('agent-now', ['investigate'], 0);

    // Act
    const decided = await decide(incidentId, agent.key, {
      step: 'investigate',
      decision: 'retrain',
      comment: 'Confirmed drift.',
    });
    const retraining = await h.message('dev@example.com', /Retrain the model/);
    // The announcement goes out on the scheduled evaluation's tick, as EventBridge Scheduler runs it.
    const { handler } = await import('../../../functions/scheduled-evaluation.ts');
    await handler({}, lambdaContext('vigil-scheduled-evaluation', 300_000));
    const email = await h.message('dsl@example.com', /Agent decision: Investigate the alert/);
    const again = await tick(at(decided.body.decidedAt, 60_000));

    // Assess
    expect(decided.status, decided.text).toBe(200);
    expect(decided.body).toMatchObject({ status: 'applied', effectiveAt: decided.body.decidedAt });
    expect(retraining.subject).toContain('Retrain the model');
    expect(again).toEqual({ announced: 0, applied: 0, dropped: 0, failed: [] });
    expect(email.text).toContain('It takes effect at once');
    expect(email.links).toEqual([]);
    const incident = await h.incident(incidentId);
    expect(incident.approvals.at(-1)).toMatchObject({ status: 'decided', decidedBy: `agent:${agent.keyId}` });
  });

  it('refuses the AI-IRB step, steps not delegated or not waiting, bad decisions and other models, writing nothing', async () => {
    // Prepare
    const { incidentId, agent } = await waitingIncident('agent-refused', ['investigate', 'qa']);
    await h.registerModel('agent-other', { approvalTimeoutHours: 1, agents: ['investigate'] });
    const otherAgent = await agentKey('agent-other', 'other-bot');
    const before = await h.incident(incidentId);

    // Act
    const irb = await decide(incidentId, agent.key, { step: 'irb', decision: 'approve' });
    const notWaiting = await decide(incidentId, agent.key, { step: 'qa', decision: 'approve' });
    const badDecision = await decide(incidentId, agent.key, { step: 'investigate', decision: 'approve' });
    const noComment = await decide(incidentId, agent.key, { step: 'investigate', decision: 'false_alarm' });
    const badBody = await decide(incidentId, agent.key, { decision: 'retrain', extra: true });
    const otherModel = await decide(incidentId, otherAgent.key, { step: 'investigate', decision: 'retrain' });
    const unknownIncident = await decide('inc_00000000000000000000', agent.key, {
      step: 'investigate',
      decision: 'retrain',
    });
    const after = await h.incident(incidentId);

    // Assess
    expect(irb.status).toBe(403);
    expect(irb.body.error.issues).toEqual([
      { path: 'step', message: 'governance.agents delegates only investigate, qa' },
    ]);
    expect(notWaiting.status).toBe(409);
    expect(notWaiting.body.error.issues).toEqual([
      { path: 'step', message: 'the current step is investigate' },
    ]);
    expect(badDecision.status).toBe(400);
    expect(badDecision.body.error.issues).toEqual([
      { path: 'decision', message: 'one of retrain, false_alarm' },
    ]);
    expect(noComment.status).toBe(400);
    expect(noComment.body.error.issues[0].path).toBe('comment');
    expect(badBody.status).toBe(400);
    expect(badBody.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['(body)', 'step']);
    expect(otherModel.status).toBe(403);
    expect(unknownIncident.status).toBe(404);
    expect(after.audit).toEqual(before.audit);
    expect(after.approvals).toEqual(before.approvals);
    expect(after.approvals.at(-1)?.agentDecision).toBeUndefined();
  });

  it('lets a person of the role overrule the agent from the email while the window is open', async () => {
    // Prepare
    const { incidentId, agent } = await waitingIncident('agent-overruled', ['investigate'], 30);
    const agentDecision = {
      step: 'investigate',
      decision: 'false_alarm',
      comment: 'Looks like a one-off batch.',
    };
    const decided = await decide(incidentId, agent.key, agentDecision);
    await tick(at(decided.body.decidedAt, 1000));
    const email = await h.message('dsl2@example.com', /Agent decision: Investigate the alert/);

    // Act
    const overruled = await h.decide(email, 'retrain', 'Not a one-off: the campaign changed our customers.');
    const retraining = await h.message('dev@example.com', /Retrain the model/);
    const late = await tick(at(decided.body.effectiveAt, 60_000));
    const replayed = await decide(incidentId, agent.key, agentDecision);
    const anotherAgent = await decide(incidentId, agent.key, { ...agentDecision, comment: 'Again.' });

    // Assess
    expect(overruled.status).toBe(200);
    expect(retraining.subject).toContain('Retrain the model');
    expect(late).toMatchObject({ applied: 0, dropped: 1 });
    const incident = await h.incident(incidentId);
    expect(incident.status).toBe('open');
    expect(incident.approvals.at(-1)).toMatchObject({
      status: 'decided',
      decision: 'retrain',
      decidedBy: 'dsl2@example.com',
    });
    const decision = incident.audit.find((e) => e.type === 'decision');
    expect(decision).toMatchObject({
      actor: 'dsl2@example.com',
      details: {
        decision: 'retrain',
        overrules: {
          decision: 'false_alarm',
          decidedBy: `agent:${agent.keyId}`,
          keyId: agent.keyId,
          keyName: 'triage-bot',
        },
      },
    });
    expect(incident.audit.filter((e) => e.actor === `agent:${agent.keyId}`).map((e) => e.type)).toEqual([
      'agent.decided',
    ]);
    expect(replayed.status).toBe(409);
    expect(replayed.body.error.issues).toEqual([
      { path: 'decision', message: 'a person of the role decided first' },
    ]);
    expect(anotherAgent.status).toBe(409);
  });

  it('decides once when a person and the tick, or two ticks, act at the same moment', async () => {
    // Prepare: two incidents with an announced agent decision each, due at their effectiveAt.
    const first = await waitingIncident('agent-race', ['investigate'], 15);
    const decided = await decide(first.incidentId, first.agent.key, {
      step: 'investigate',
      decision: 'retrain',
    });
    await tick(at(decided.body.decidedAt, 1000));
    const email = await h.message('dsl@example.com', /Agent decision: Investigate the alert/);
    const { token } = await h.open(email);
    const second = await waitingIncident('agent-race-2', ['investigate'], 15);
    const other = await decide(second.incidentId, second.agent.key, {
      step: 'investigate',
      decision: 'retrain',
    });
    await tick(at(other.body.decidedAt, 1000));

    // Act: the person's form and the tick at once; then two ticks at once.
    const [person, racing] = await Promise.all([
      h.call('POST', email.links[0] as string, {
        key: null,
        form: { token: token as string, decision: 'false_alarm', comment: 'A one-off batch.' },
      }),
      tick(at(decided.body.effectiveAt)),
    ]);
    const [one, two] = await Promise.all([
      tick(at(other.body.effectiveAt)),
      tick(at(other.body.effectiveAt)),
    ]);

    // Assess: exactly one decision each, passed on once.
    expect(person.status === 200 ? 0 : 1).toBe(racing.applied);
    expect([200, 409]).toContain(person.status);
    const raced = await h.incident(first.incidentId);
    expect(raced.audit.filter((e) => e.type === 'decision')).toHaveLength(1);
    expect(raced.history.filter((e) => e.step === 'investigate' && e.event === 'left')).toHaveLength(1);
    expect(one.applied + two.applied).toBe(1);
    const ticked = await h.incident(second.incidentId);
    expect(ticked.audit.filter((e) => e.type === 'decision')).toHaveLength(1);
    expect(ticked.approvals.at(-1)).toMatchObject({
      status: 'decided',
      decidedBy: `agent:${second.agent.keyId}`,
    });
  });

  it('is described in the OpenAPI document: the route, the key scope and name, the governance fields', async () => {
    const doc = (await h.call('GET', '/openapi.json', { key: null })).body;
    const route = doc.paths['/v1/incidents/{incidentId}/decisions'].post;
    expect(route.security).toEqual([{ apiKey: [] }]);
    expect(route.requestBody.content['application/json'].schema).toMatchObject({
      required: ['step', 'decision'],
      additionalProperties: false,
    });
    const key = doc.paths['/v1/models/{modelId}/keys'].post.requestBody.content['application/json'].schema;
    expect(key.properties.scopes.items.enum).toContain('agent');
    expect(key.properties.name.pattern).toBeDefined();
    const model = doc.paths['/v1/models/{modelId}'].put.requestBody.content['application/json'].schema;
    expect(model.properties.governance.properties).toMatchObject({
      agents: { type: 'array', description: expect.stringContaining('never irb, legal, pir_signoff') },
      agentOverruleMinutes: { type: 'integer', minimum: 0, maximum: 1440, default: 15 },
    });
  });
});
