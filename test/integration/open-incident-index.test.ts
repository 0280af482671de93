import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDynamoDb, type TestDynamoDb, useLocalDynamoDb } from '../support/dynalite.ts';
import { repoRoot } from '../support/process.ts';

/**
 * The sparse index of open incidents on dynalite: the write that ends an incident takes it out,
 * and the one-off backfill puts incidents opened before the index existed into it.
 */
describe('open-incident index', () => {
  let db: TestDynamoDb;
  let store: typeof import('../../functions/commons/incidents/store.ts');
  let backfill: typeof import('../../functions/commons/incidents/open-index-backfill.ts');
  let dynamoDb: typeof import('../../functions/commons/clients/dynamodb.ts')['dynamoDb'];

  const incident = (incidentId: string, status: 'open' | 'resolved', openedAt: string) => ({
    incidentId,
    modelId: 'm-open',
    version: '1.0.0',
    evaluationId: 'e',
    evaluations: ['e'],
    reasons: ['drift'],
    status,
    currentStep: status === 'open' ? 'investigate' : 'closed',
    history: [],
    openedAt,
    updatedAt: openedAt,
    retrainingCycles: 0,
  });
  /** An incident as the code before the index wrote it: in gsi1, without `openpk`/`opensk`. */
  const putLegacy = (incidentId: string, status: 'open' | 'resolved', openedAt: string) =>
    dynamoDb.send(
      new PutCommand({
        TableName: db.tableNames.Governance,
        Item: {
          pk: `INCIDENT#${incidentId}`,
          sk: '#INCIDENT',
          gsi1pk: 'INCIDENTS',
          gsi1sk: `${openedAt}#${incidentId}`,
          ...incident(incidentId, status, openedAt),
        },
      }),
    );
  const stored = async (incidentId: string) =>
    (
      await dynamoDb.send(
        new GetCommand({
          TableName: db.tableNames.Governance,
          Key: { pk: `INCIDENT#${incidentId}`, sk: '#INCIDENT' },
        }),
      )
    ).Item;
  const openIds = async () => (await store.listOpenIncidentIds()).map((i) => i.incidentId);

  beforeAll(async () => {
    db = await startTestDynamoDb();
    useLocalDynamoDb(db.endpoint, db.tableNames);
    store = await import('../../functions/commons/incidents/store.ts');
    backfill = await import('../../functions/commons/incidents/open-index-backfill.ts');
    ({ dynamoDb } = await import('../../functions/commons/clients/dynamodb.ts'));
  });
  afterAll(async () => db?.close());

  it('takes an incident out of the index in the very update that ends it, whatever its final status', async () => {
    const statuses = ['resolved', 'false_alarm', 'abandoned', 'reverted', 'failed'] as const;
    const ids = statuses.map((_, i) => `inc_${String(i + 1).padStart(20, '0')}`);
    for (const [i, incidentId] of ids.entries()) {
      await store.putNewIncident(incident(incidentId, 'open', `2026-02-0${i + 1}T00:00:00.000Z`));
    }
    expect(await openIds()).toEqual([...ids].reverse());
    expect(await stored(ids[0] as string)).toMatchObject({
      openpk: 'OPEN_INCIDENTS',
      opensk: `2026-02-01T00:00:00.000Z#${ids[0]}`,
    });

    // An update that leaves the incident open keeps it listed.
    await store.updateIncident(ids[0] as string, { set: { currentStep: 'retraining' } });
    expect(await openIds()).toContain(ids[0]);
    for (const [i, status] of statuses.entries()) {
      const ended = await store.updateIncident(ids[i] as string, { set: { status } });
      expect(ended).not.toHaveProperty('openpk');
      expect(await stored(ids[i] as string)).not.toHaveProperty('openpk');
      expect(await stored(ids[i] as string)).not.toHaveProperty('opensk');
    }
    expect(await openIds()).toEqual([]);
    // Still in the whole listing, with its status.
    const page = await store.listIncidentPage({ modelId: 'm-open', limit: 10 });
    expect(page.incidents.map((i) => i.status).sort()).toEqual([...statuses].sort());
  });

  it('backfills the incidents opened before the index: the open ones only, once, and leaves closed ones out', async () => {
    await putLegacy('inc_00000000000000000101', 'open', '2026-01-01T00:00:00.000Z');
    await putLegacy('inc_00000000000000000102', 'resolved', '2026-01-02T00:00:00.000Z');
    await putLegacy('inc_00000000000000000103', 'open', '2026-01-03T00:00:00.000Z');
    await store.putNewIncident(incident('inc_00000000000000000104', 'open', '2026-01-04T00:00:00.000Z'));
    // Before the backfill the index holds the incident written by this version alone.
    expect(await openIds()).toEqual(['inc_00000000000000000104']);

    const first = await backfill.backfillOpenIncidentIndex();
    const second = await backfill.backfillOpenIncidentIndex();

    expect(first).toEqual({ read: 9, open: 3, added: 2 });
    expect(second).toEqual({ read: 9, open: 3, added: 0 });
    expect(await openIds()).toEqual([
      'inc_00000000000000000104',
      'inc_00000000000000000103',
      'inc_00000000000000000101',
    ]);
    expect(await stored('inc_00000000000000000102')).not.toHaveProperty('openpk');
    // A backfilled incident leaves the index when it ends, like any other.
    await store.updateIncident('inc_00000000000000000101', { set: { status: 'abandoned' } });
    expect(await openIds()).not.toContain('inc_00000000000000000101');
  });

  it('does not put into the index an incident that ended after the backfill read it', async () => {
    await putLegacy('inc_00000000000000000201', 'open', '2026-01-05T00:00:00.000Z');
    // The incident ends between the backfill's read and its write: the write's condition refuses it.
    const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    const name = 'endBeforeMark';
    dynamoDb.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Key?: { pk?: string } };
        if (
          args.input &&
          input.Key?.pk === 'INCIDENT#inc_00000000000000000201' &&
          'UpdateExpression' in args.input
        ) {
          dynamoDb.middlewareStack.remove(name);
          await dynamoDb.send(
            new UpdateCommand({
              TableName: db.tableNames.Governance,
              Key: { pk: 'INCIDENT#inc_00000000000000000201', sk: '#INCIDENT' },
              UpdateExpression: 'SET #status = :failed',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':failed': 'failed' },
            }),
          );
        }
        return next(args);
      },
      { step: 'initialize', name },
    );
    const result = await backfill.backfillOpenIncidentIndex();
    expect(result).toMatchObject({ added: 0 });
    expect(await stored('inc_00000000000000000201')).not.toHaveProperty('openpk');
    expect(await openIds()).not.toContain('inc_00000000000000000201');
  });

  it('runs as a script against the table named in GOVERNANCE_TABLE', async () => {
    await putLegacy('inc_00000000000000000301', 'open', '2026-01-06T00:00:00.000Z');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/backfill-open-incidents.ts'],
      { cwd: repoRoot, env: { ...process.env } },
    );
    expect(JSON.parse(stdout)).toMatchObject({ added: 1 });
    expect(await openIds()).toContain('inc_00000000000000000301');
  });
});
