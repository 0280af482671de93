import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowEngine } from '../../../functions/commons/workflow/port.ts';
import { LocalOutbox } from '../../../local/outbox.ts';
import { startTestDynamoDb, type TestDynamoDb, useLocalDynamoDb } from '../../support/dynalite.ts';

type Incidents = typeof import('../../../functions/commons/incidents/open.ts') &
  typeof import('../../../functions/commons/incidents/store.ts');

/** An engine that keeps execution names as Step Functions does: a name runs once. */
class NamedExecutions implements WorkflowEngine {
  readonly started: string[] = [];
  async startExecution(name: string) {
    const executionArn = `arn:aws:states:eu-west-1:123456789012:execution:Governance:${name}`;
    if (this.started.includes(name)) return { executionArn, started: false };
    this.started.push(name);
    return { executionArn, started: true };
  }
  async sendTaskSuccess(): Promise<void> {}
  async sendTaskFailure(): Promise<void> {}
}

/** Opening incidents, as the scheduled evaluation does, against dynalite. */
describe('incidents', () => {
  let db: TestDynamoDb;
  let incidents: Incidents;
  const engine = new NamedExecutions();
  let outbox: LocalOutbox;
  const breach = (modelId: string, evaluationId: string) => ({
    modelId,
    version: '1.0.0',
    evaluationId,
    reasons: [`breach in ${evaluationId}`],
  });

  beforeAll(async () => {
    db = await startTestDynamoDb();
    outbox = await LocalOutbox.open({ print: () => {} });
    useLocalDynamoDb(db.endpoint, db.tableNames, {
      VIGIL_SIGNING_SECRET: 'test-secret',
      PUBLIC_URL: 'http://vigil.test',
    });
    const { configureWorkflow } = await import('../../../functions/commons/workflow/index.ts');
    configureWorkflow(engine);
    const { configureNotifier, configureSubscriptions } = await import(
      '../../../functions/commons/notifier/index.ts'
    );
    configureNotifier(outbox);
    configureSubscriptions(outbox.emailSubscriptions);
    incidents = {
      ...(await import('../../../functions/commons/incidents/open.ts')),
      ...(await import('../../../functions/commons/incidents/store.ts')),
    };
  });
  afterAll(async () => db?.close());

  it('opens one incident per model; a further breach is attached to it, once', async () => {
    // Act
    const first = await incidents.openIncident(breach('m-one', 'e1'));
    const second = await incidents.openIncident(breach('m-one', 'e2'));
    const repeated = await incidents.openIncident(breach('m-one', 'e2'));
    const elsewhere = await incidents.openIncident(breach('m-two', 'e3'));

    // Assess
    expect(first.created).toBe(true);
    expect(first.incident).toMatchObject({ status: 'open', currentStep: 'opened', evaluations: ['e1'] });
    expect(second).toMatchObject({ created: false, incident: { incidentId: first.incident.incidentId } });
    expect(repeated.incident.evaluations).toEqual(['e1', 'e2']);
    expect(elsewhere.created).toBe(true);
    expect(elsewhere.incident.incidentId).not.toBe(first.incident.incidentId);
  });

  it('writes the incident of a lock left without one (a crash between the two writes)', async () => {
    // Prepare
    await db.client.send(
      new PutItemCommand({
        TableName: db.tableNames.Governance,
        Item: {
          pk: { S: 'MODEL#m-crash' },
          sk: { S: 'OPEN_INCIDENT' },
          incidentId: { S: 'inc_00000000000000000001' },
          openedAt: { S: '2026-01-01T00:00:00.000Z' },
        },
      }),
    );

    // Act
    const { incident, created } = await incidents.openIncident(breach('m-crash', 'e4'));

    // Assess
    expect(created).toBe(true);
    expect(incident).toMatchObject({
      incidentId: 'inc_00000000000000000001',
      openedAt: '2026-01-01T00:00:00.000Z',
    });
    expect(await incidents.getIncident('inc_00000000000000000001')).toMatchObject({ evaluations: ['e4'] });
  });

  it('opens a new incident when the lock was left by a closed one', async () => {
    // Prepare
    const { incident: closed } = await incidents.openIncident(breach('m-closed', 'e5'));
    await incidents.updateIncident(closed.incidentId, { set: { status: 'resolved' } });

    // Act
    const next = await incidents.openIncident(breach('m-closed', 'e6'));

    // Assess
    expect(next.created).toBe(true);
    expect(next.incident.incidentId).not.toBe(closed.incidentId);
  });

  it('starts the workflow once per incident and records its execution, repairing a start that was not recorded', async () => {
    // Prepare
    const { incident } = await incidents.openIncident(breach('m-start', 'e7'));

    // Act: the evaluation starts it, then a retry runs with the incident it read before.
    const started = await incidents.ensureWorkflowStarted(incident);
    const again = await incidents.ensureWorkflowStarted(incident);

    // Assess
    expect(engine.started.filter((name) => name === incident.incidentId)).toHaveLength(1);
    expect(started.executionArn).toBe(
      `arn:aws:states:eu-west-1:123456789012:execution:Governance:${incident.incidentId}`,
    );
    expect(again.executionArn).toBe(started.executionArn);
    expect((await incidents.getIncident(incident.incidentId))?.executionArn).toBe(started.executionArn);
  });

  it('lists incidents newest first, by model and status', async () => {
    // Prepare
    const { incident: a } = await incidents.openIncident(breach('m-list', 'e8'));
    await incidents.updateIncident(a.incidentId, { set: { status: 'false_alarm' } });
    await db.client.send(
      new DeleteItemCommand({
        TableName: db.tableNames.Governance,
        Key: { pk: { S: 'MODEL#m-list' }, sk: { S: 'OPEN_INCIDENT' } },
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 5)); // a later millisecond for the second
    const { incident: b } = await incidents.openIncident(breach('m-list', 'e9'));

    // Act
    const ofModel = await incidents.listIncidents({ modelId: 'm-list' });
    const open = await incidents.listIncidents({ modelId: 'm-list', status: 'open' });
    const one = await incidents.listIncidents({ limit: 1 });

    // Assess
    expect(ofModel.map((i) => i.incidentId)).toEqual([b.incidentId, a.incidentId]);
    expect(open.map((i) => i.incidentId)).toEqual([b.incidentId]);
    expect(one).toHaveLength(1);
  });

  it('keeps one open incident per model and kind: a breach and an incident of another kind are open side by side', async () => {
    // Prepare
    const unapproved = {
      modelId: 'm-kinds',
      kind: 'unapproved_version' as const,
      version: '1.0.0',
      reasons: ['served by 9.9.9'],
      details: { servedVersion: '9.9.9' },
    };

    // Act
    const first = await incidents.openIncident(breach('m-kinds', 'e11'));
    const other = await incidents.openIncident(unapproved);
    const otherAgain = await incidents.openIncident({ ...unapproved, details: { servedVersion: '9.9.8' } });
    const started = await incidents.ensureWorkflowStarted(other.incident);

    // Assess
    expect(first.incident.kind).toBe('breach');
    expect(other.created).toBe(true);
    expect(other.incident).toMatchObject({
      kind: 'unapproved_version',
      evaluations: [],
      details: { servedVersion: '9.9.9' },
    });
    expect(other.incident.evaluationId).toBeUndefined();
    expect(otherAgain).toMatchObject({ created: false, incident: { incidentId: other.incident.incidentId } });
    expect(await incidents.readOpenIncidentLock('m-kinds', 'unapproved_version')).toMatchObject({
      incidentId: other.incident.incidentId,
    });
    expect(await incidents.readOpenIncidentLock('m-kinds')).toMatchObject({
      incidentId: first.incident.incidentId,
    });
    expect(started.executionArn).toContain(other.incident.incidentId);
    const { listAudit } = await import('../../../functions/commons/incidents/audit.ts');
    expect((await listAudit(other.incident.incidentId))[0]).toMatchObject({
      type: 'incident.opened',
      details: { kind: 'unapproved_version', servedVersion: '9.9.9', reasons: ['served by 9.9.9'] },
    });
    const ofKind = await incidents.listIncidentPage({
      modelId: 'm-kinds',
      kind: 'unapproved_version',
      limit: 10,
    });
    const breaches = await incidents.listIncidentPage({ modelId: 'm-kinds', kind: 'breach', limit: 10 });
    expect(ofKind.incidents.map((i) => [i.incidentId, i.kind])).toEqual([
      [other.incident.incidentId, 'unapproved_version'],
    ]);
    expect(breaches.incidents.map((i) => [i.incidentId, i.kind])).toEqual([
      [first.incident.incidentId, 'breach'],
    ]);
  });

  it('reads an incident written before incidents had kinds as a breach, and lists it among breaches', async () => {
    // Prepare: a record as stored before, without a kind.
    await incidents.putNewIncident({
      incidentId: 'inc_00000000000000000002',
      modelId: 'm-old',
      version: '1.0.0',
      evaluationId: 'e-old',
      evaluations: ['e-old'],
      reasons: ['old'],
      status: 'open',
      currentStep: 'opened',
      history: [],
      openedAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      retrainingCycles: 0,
    });

    // Act
    const read = await incidents.getIncident('inc_00000000000000000002');
    const breaches = await incidents.listIncidentPage({ modelId: 'm-old', kind: 'breach', limit: 10 });
    const others = await incidents.listIncidents({ modelId: 'm-old', kind: 'baseline_review' });

    // Assess
    expect(read?.kind).toBe('breach');
    expect(breaches.incidents.map((i) => [i.incidentId, i.kind])).toEqual([
      ['inc_00000000000000000002', 'breach'],
    ]);
    expect(others).toEqual([]);
  });

  it('asks once per task token: an invocation delivered twice keeps one pending approval and sends no more email', async () => {
    // Prepare
    const { putModel } = await import('../../../functions/commons/registry/store.ts');
    const { modelInputSchema } = await import('../../../functions/commons/registry/schema.ts');
    const { requestHumanStep } = await import('../../../functions/commons/approvals/request.ts');
    const { listApprovals } = await import('../../../functions/commons/approvals/store.ts');
    const { followApprovers } = await import('../../../functions/commons/delivery/subscriptions.ts');
    const { model } = await putModel(
      'm-twice',
      modelInputSchema.parse({
        name: 'Twice',
        owner: 'ds@example.com',
        task: 'classification',
        features: [{ name: 'age', type: 'numerical' }],
        approvers: Object.fromEntries(
          ['dataScienceLead', 'devTeam', 'qa', 'irbLiaison', 'legal', 'mlops', 'operations', 'support'].map(
            (role) => [role, [`${role}@example.com`]],
          ),
        ),
      }),
    );
    await followApprovers(model);
    const { incident } = await incidents.openIncident(breach('m-twice', 'e10'));
    const request = {
      incidentId: incident.incidentId,
      step: 'qa',
      kind: 'decision' as const,
      roles: ['qa' as const],
      options: ['approve', 'approve_irb', 'reject'],
      cycle: 1,
      reminder: 0,
      timeoutSeconds: 3600,
      taskToken: 'token-delivered-twice',
    };

    // Act
    const first = await requestHumanStep(request);
    const second = await requestHumanStep(request);

    // Assess
    expect(first).toMatchObject({ sent: 1 });
    expect(second).toEqual({ approvalId: first.approvalId, sent: 0 });
    expect((await listApprovals(incident.incidentId)).map((a) => [a.approvalId, a.status])).toEqual([
      [first.approvalId, 'pending'],
    ]);
    const emails = outbox.list().filter((m) => m.text.includes(incident.incidentId));
    expect(emails.map((m) => m.to)).toEqual(['qa@example.com']);
    expect(emails[0]?.links[0]).toMatch(
      new RegExp(`^http://vigil.test/approvals/${first.approvalId}\\?sig=[A-Za-z0-9_-]{43}$`),
    );
  });
});
