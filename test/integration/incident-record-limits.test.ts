import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { WorkflowEngine } from '../../functions/commons/workflow/port.ts';
import { LocalOutbox } from '../../local/outbox.ts';
import { startTestDynamoDb, type TestDynamoDb, useLocalDynamoDb } from '../support/dynalite.ts';

/** Step Functions as the candidate callback sees it: resumes a task, or fails to reach it once. */
class Engine implements WorkflowEngine {
  failNext = false;
  readonly resumed: string[] = [];
  async startExecution(name: string) {
    return {
      executionArn: `arn:aws:states:eu-west-1:123456789012:execution:Governance:${name}`,
      started: true,
    };
  }
  async sendTaskSuccess(token: string): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('engine unreachable');
    }
    this.resumed.push(token);
  }
  async sendTaskFailure(): Promise<void> {}
}

/**
 * An incident's candidates and approvals are bounded where they are written, so the reads of its
 * detail and of the workflow never pass their bounds: a place is taken in the incident's count
 * item before each is written (two writers at the bound never both pass), and given back when
 * nothing is written.
 */
describe('incident record limits', () => {
  let db: TestDynamoDb;
  let outbox: LocalOutbox;
  const engine = new Engine();
  let limits: typeof import('../../functions/commons/incidents/record-counts.ts') &
    typeof import('../../functions/commons/incidents/record-limits.ts');
  let store: typeof import('../../functions/commons/incidents/store.ts');
  let open: typeof import('../../functions/commons/incidents/open.ts');
  let dynamoDb: typeof import('../../functions/commons/clients/dynamodb.ts')['dynamoDb'];

  const approvers = Object.fromEntries(
    ['dataScienceLead', 'devTeam', 'qa', 'irbLiaison', 'legal', 'mlops', 'operations', 'support'].map(
      (role) => [role, [`${role}@example.com`]],
    ),
  );
  const counts = async (incidentId: string) =>
    (
      await dynamoDb.send(
        new GetCommand({
          TableName: db.tableNames.Governance,
          Key: { pk: `INCIDENT#${incidentId}`, sk: '#COUNTS' },
          ConsistentRead: true,
        }),
      )
    ).Item;
  const setCount = (incidentId: string, what: 'candidates' | 'approvals', n: number) =>
    dynamoDb.send(
      new PutCommand({
        TableName: db.tableNames.Governance,
        Item: { pk: `INCIDENT#${incidentId}`, sk: '#COUNTS', [what]: n },
      }),
    );

  async function registerModel(modelId: string) {
    const { putModel } = await import('../../functions/commons/registry/store.ts');
    const { modelInputSchema } = await import('../../functions/commons/registry/schema.ts');
    await putModel(
      modelId,
      modelInputSchema.parse({
        name: modelId,
        owner: 'ds@example.com',
        task: 'classification',
        features: [{ name: 'age', type: 'numerical' }],
        approvers,
      }),
    );
    const { followApprovers } = await import('../../functions/commons/delivery/subscriptions.ts');
    const { getModel } = await import('../../functions/commons/registry/store.ts');
    await followApprovers((await getModel(modelId)) as NonNullable<Awaited<ReturnType<typeof getModel>>>);
  }

  /** An open incident of a new model, waiting for a candidate (its retraining step's task). */
  async function waitingIncident(modelId: string): Promise<string> {
    await registerModel(modelId);
    const { incident } = await open.openIncident({
      modelId,
      version: '1.0.0',
      evaluationId: `e-${modelId}`,
      reasons: ['drift'],
    });
    await waitForCandidate(incident.incidentId, 'task-1');
    return incident.incidentId;
  }
  const waitForCandidate = (incidentId: string, taskToken: string) =>
    store.putCandidateTask(incidentId, {
      taskToken,
      requestedAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      cycle: 1,
    });
  const submit = async (incidentId: string, version: string) => {
    const { submitCandidate } = await import('../../functions/commons/incidents/candidate.ts');
    return submitCandidate(
      incidentId,
      {
        version,
        artifactUri: `s3://models/${version}`,
        metrics: { accuracy: 0.9 },
        scopeChanged: false,
        notes: '',
      },
      { kind: 'admin' },
      {},
    );
  };

  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    db = await startTestDynamoDb();
    outbox = await LocalOutbox.open({ print: () => {} });
    useLocalDynamoDb(db.endpoint, db.tableNames, {
      VIGIL_SIGNING_SECRET: 'test-secret',
      PUBLIC_URL: 'http://vigil.test',
    });
    const { configureWorkflow } = await import('../../functions/commons/workflow/index.ts');
    configureWorkflow(engine);
    const { configureNotifier, configureSubscriptions } = await import(
      '../../functions/commons/notifier/index.ts'
    );
    configureNotifier(outbox);
    configureSubscriptions(outbox.emailSubscriptions);
    limits = {
      ...(await import('../../functions/commons/incidents/record-counts.ts')),
      ...(await import('../../functions/commons/incidents/record-limits.ts')),
    };
    store = await import('../../functions/commons/incidents/store.ts');
    open = await import('../../functions/commons/incidents/open.ts');
    ({ dynamoDb } = await import('../../functions/commons/clients/dynamodb.ts'));
  });
  afterAll(async () => db?.close());

  it('lets exactly as many concurrent writers pass as there are places left, and takes a place given back again', async () => {
    await setCount('inc_00000000000000000a01', 'candidates', limits.INCIDENT_RECORD_LIMITS.candidates - 2);

    const taken = await Promise.all(
      Array.from({ length: 10 }, () => limits.takeRecordPlace('inc_00000000000000000a01', 'candidates')),
    );

    expect(taken.filter(Boolean)).toHaveLength(2);
    expect(await counts('inc_00000000000000000a01')).toMatchObject({ candidates: 200 });
    await limits.giveRecordPlaceBack('inc_00000000000000000a01', 'candidates');
    expect(await limits.takeRecordPlace('inc_00000000000000000a01', 'candidates')).toBe(true);
    expect(await limits.takeRecordPlace('inc_00000000000000000a01', 'candidates')).toBe(false);
    // Approvals have a count of their own beside it.
    expect(await limits.takeRecordPlace('inc_00000000000000000a01', 'approvals')).toBe(true);
    expect(await counts('inc_00000000000000000a01')).toMatchObject({ candidates: 200, approvals: 1 });
  });

  it('counts the records of an incident from before the count item on its first place', async () => {
    const record = (i: number) => ({
      version: `1.${i}.0`,
      artifactUri: 's3://m',
      metrics: {},
      scopeChanged: false,
      notes: '',
      productionVersion: '1.0.0',
      cycle: i,
      submittedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      submittedBy: 'admin',
    });
    for (let i = 0; i < 150; i++) {
      await store.addIncidentRecord(
        'inc_00000000000000000a02',
        'candidate',
        record(i).submittedAt,
        record(i),
      );
    }
    for (let i = 0; i < 200; i++) {
      await store.addIncidentRecord(
        'inc_00000000000000000a03',
        'candidate',
        record(i).submittedAt,
        record(i),
      );
    }

    expect(await limits.takeRecordPlace('inc_00000000000000000a02', 'candidates')).toBe(true);
    expect(await limits.takeRecordPlace('inc_00000000000000000a03', 'candidates')).toBe(false);

    expect(await counts('inc_00000000000000000a02')).toMatchObject({ candidates: 151 });
    expect(await counts('inc_00000000000000000a03')).toMatchObject({ candidates: 200 });
  }, 60_000);

  it('refuses the 201st candidate with 409 naming incidentId, and writes nothing of it', async () => {
    const incidentId = await waitingIncident('m-full');
    await setCount(incidentId, 'candidates', 200);
    const { listAudit } = await import('../../functions/commons/incidents/audit.ts');
    const { getVersion } = await import('../../functions/commons/registry/store.ts');
    const auditBefore = await listAudit(incidentId);

    const refused = await submit(incidentId, '1.1.0').catch((error: unknown) => error);

    expect(refused).toMatchObject({
      statusCode: 409,
      code: 'limit_reached',
      issues: [{ path: 'incidentId', message: expect.stringContaining('200 candidates') }],
    });
    expect(await getVersion('m-full', '1.1.0')).toBeUndefined();
    expect(await store.getCandidateTask(incidentId)).toMatchObject({ taskToken: 'task-1' });
    expect((await store.getIncident(incidentId))?.candidate).toBeUndefined();
    expect(await store.listIncidentRecords(incidentId, 'candidate')).toEqual([]);
    expect(await listAudit(incidentId)).toEqual(auditBefore);
    expect(await counts(incidentId)).toMatchObject({ candidates: 200 });
    expect(engine.resumed).not.toContain('task-1');
  });

  it('takes a place for a kept candidate, and gives it back for a refused one', async () => {
    const incidentId = await waitingIncident('m-places');
    await setCount(incidentId, 'candidates', 198);

    // The engine cannot be reached: 503, nothing kept, the place given back.
    engine.failNext = true;
    await expect(submit(incidentId, '1.1.0')).rejects.toMatchObject({ statusCode: 503 });
    expect(await counts(incidentId)).toMatchObject({ candidates: 198 });
    // A version older than production: refused before a place is taken.
    await expect(submit(incidentId, '0.9.0')).rejects.toMatchObject({ statusCode: 400 });
    expect(await counts(incidentId)).toMatchObject({ candidates: 198 });

    const { candidate } = await submit(incidentId, '1.1.0');
    expect(candidate.version).toBe('1.1.0');
    expect(await counts(incidentId)).toMatchObject({ candidates: 199 });
    expect(await store.listIncidentRecords(incidentId, 'candidate')).toHaveLength(1);
  });

  it('keeps one re-validation report a candidate: a retried step replaces it', async () => {
    const incidentId = await waitingIncident('m-revalidate');
    await submit(incidentId, '1.1.0');
    const { revalidate } = await import('../../functions/commons/incidents/steps.ts');

    await revalidate(incidentId);
    await revalidate(incidentId);

    const reports = await store.listIncidentRecords(incidentId, 'validation');
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ candidateVersion: '1.1.0' });
  });

  it('fails the request of a human step past 1,000 approvals, writing and sending nothing', async () => {
    const incidentId = await waitingIncident('m-approvals');
    await dynamoDb.send(
      new DeleteCommand({
        TableName: db.tableNames.Governance,
        Key: { pk: `INCIDENT#${incidentId}`, sk: '#COUNTS' },
      }),
    );
    const { requestHumanStep } = await import('../../functions/commons/approvals/request.ts');
    const { listApprovals } = await import('../../functions/commons/approvals/store.ts');
    const request = (taskToken: string) => ({
      incidentId,
      step: 'qa',
      kind: 'decision' as const,
      roles: ['qa' as const],
      options: ['approve', 'approve_irb', 'reject'],
      cycle: 1,
      reminder: 0,
      timeoutSeconds: 3600,
      taskToken,
    });
    await requestHumanStep(request('qa-1'));
    // The same invocation again takes no second place.
    await requestHumanStep(request('qa-1'));
    expect(await counts(incidentId)).toMatchObject({ approvals: 1 });
    await setCount(incidentId, 'approvals', 1000);
    const sent = outbox.list().length;

    const refused = await requestHumanStep(request('qa-2')).catch((error: unknown) => error);

    expect(refused).toMatchObject({
      name: 'StepFailed',
      message: expect.stringContaining('1,000 decisions'),
    });
    expect((await listApprovals(incidentId)).map((a) => a.status)).toEqual(['pending']);
    expect(outbox.list().length).toBe(sent);
    expect(await counts(incidentId)).toMatchObject({ approvals: 1000 });
  });
});
