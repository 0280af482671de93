import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelRecord } from '../../functions/commons/registry/store.ts';
import { startTestDynamoDb, type TestDynamoDb, useLocalDynamoDb } from '../support/dynalite.ts';
import { repoRoot } from '../support/process.ts';

/**
 * The sparse index of ended incidents on dynalite: an incident enters its model's partition when
 * it ends, and the one-off backfill puts the incidents that ended before the index existed into it.
 */
describe('ended-incident index', () => {
  let db: TestDynamoDb;
  let store: typeof import('../../functions/commons/incidents/store.ts');
  let backfill: typeof import('../../functions/commons/incidents/ended-index-backfill.ts');
  let kpi: typeof import('../../functions/commons/reports/kpi.ts');
  let dynamoDb: typeof import('../../functions/commons/clients/dynamodb.ts')['dynamoDb'];

  const model = { modelId: 'm-ended' } as ModelRecord;
  const period = ['2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z'] as const;

  /** An incident as the code before the index wrote it: ended, in gsi1, without `endedpk`/`endedsk`. */
  const putLegacy = (incidentId: string, status: 'open' | 'resolved', openedAt: string, closedAt?: string) =>
    dynamoDb.send(
      new PutCommand({
        TableName: db.tableNames.Governance,
        Item: {
          pk: `INCIDENT#${incidentId}`,
          sk: '#INCIDENT',
          gsi1pk: 'INCIDENTS',
          gsi1sk: `${openedAt}#${incidentId}`,
          incidentId,
          modelId: model.modelId,
          version: '1.0.0',
          evaluationId: 'e',
          evaluations: ['e'],
          reasons: ['drift'],
          status,
          currentStep: status === 'open' ? 'investigate' : 'closed',
          history: [],
          openedAt,
          updatedAt: closedAt ?? openedAt,
          retrainingCycles: 0,
          ...(closedAt
            ? {
                closedAt,
                timeToResolutionSeconds: Math.round((Date.parse(closedAt) - Date.parse(openedAt)) / 1000),
              }
            : {}),
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
  const closedInPeriod = async () =>
    (await kpi.kpiReport(model, ...period)).timeToResolution.incidents.map((i) => i.incidentId);

  beforeAll(async () => {
    db = await startTestDynamoDb();
    useLocalDynamoDb(db.endpoint, db.tableNames);
    store = await import('../../functions/commons/incidents/store.ts');
    backfill = await import('../../functions/commons/incidents/ended-index-backfill.ts');
    kpi = await import('../../functions/commons/reports/kpi.ts');
    ({ dynamoDb } = await import('../../functions/commons/clients/dynamodb.ts'));
  });
  afterAll(async () => db?.close());

  it('backfills the incidents that ended before the index: the ended ones only, once', async () => {
    // Opened before the period and ended in it: only the ended index finds them for the report.
    await putLegacy(
      'inc_00000000000000000101',
      'resolved',
      '2025-12-01T00:00:00.000Z',
      '2026-01-10T00:00:00.000Z',
    );
    await putLegacy('inc_00000000000000000102', 'open', '2025-12-02T00:00:00.000Z');
    await putLegacy(
      'inc_00000000000000000103',
      'resolved',
      '2025-12-03T00:00:00.000Z',
      '2026-01-20T00:00:00.000Z',
    );
    // A status without an end time (written by hand): not an end the report can place.
    await putLegacy('inc_00000000000000000104', 'resolved', '2025-12-04T00:00:00.000Z');
    expect(await closedInPeriod()).toEqual([]);

    const first = await backfill.backfillEndedIncidentIndex();
    const second = await backfill.backfillEndedIncidentIndex();

    expect(first).toEqual({ read: 4, ended: 2, added: 2 });
    expect(second).toEqual({ read: 4, ended: 2, added: 0 });
    expect(await stored('inc_00000000000000000101')).toMatchObject({
      endedpk: 'ENDED#m-ended',
      endedsk: '2026-01-10T00:00:00.000Z#inc_00000000000000000101',
    });
    expect(await stored('inc_00000000000000000102')).not.toHaveProperty('endedpk');
    expect(await closedInPeriod()).toEqual(['inc_00000000000000000103', 'inc_00000000000000000101']);
  });

  it('leaves an incident marked by the write that ended it as it is', async () => {
    // Ended by this version between the backfill's read and its write: its own attributes stay.
    await putLegacy('inc_00000000000000000201', 'open', '2025-12-05T00:00:00.000Z');
    const name = 'endBeforeMark';
    dynamoDb.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Key?: { pk?: string }; UpdateExpression?: string };
        if (input.Key?.pk === 'INCIDENT#inc_00000000000000000202' && input.UpdateExpression) {
          dynamoDb.middlewareStack.remove(name);
          await dynamoDb.send(
            new UpdateCommand({
              TableName: db.tableNames.Governance,
              Key: { pk: 'INCIDENT#inc_00000000000000000202', sk: '#INCIDENT' },
              UpdateExpression: 'SET endedpk = :pk, endedsk = :sk',
              ExpressionAttributeValues: { ':pk': 'ENDED#m-ended', ':sk': 'written-by-the-end#x' },
            }),
          );
        }
        return next(args);
      },
      { step: 'initialize', name },
    );
    await putLegacy(
      'inc_00000000000000000202',
      'resolved',
      '2025-12-06T00:00:00.000Z',
      '2026-01-25T00:00:00.000Z',
    );

    const result = await backfill.backfillEndedIncidentIndex();

    expect(result).toMatchObject({ added: 0 });
    expect(await stored('inc_00000000000000000202')).toMatchObject({ endedsk: 'written-by-the-end#x' });
  });

  it('puts an incident into its partition in the very update that ends it, and leaves it out while open', async () => {
    const { endedIndexAttributes } = await import('../../functions/commons/incidents/ended-index.ts');
    await store.putNewIncident({
      incidentId: 'inc_00000000000000000301',
      modelId: model.modelId,
      version: '1.0.0',
      evaluationId: 'e',
      evaluations: ['e'],
      reasons: ['drift'],
      status: 'open',
      currentStep: 'investigate',
      history: [],
      openedAt: '2025-12-07T00:00:00.000Z',
      updatedAt: '2025-12-07T00:00:00.000Z',
      retrainingCycles: 0,
    });
    expect(await stored('inc_00000000000000000301')).not.toHaveProperty('endedpk');
    const closedAt = '2026-01-05T00:00:00.000Z';
    const closed = await store.updateIncident('inc_00000000000000000301', {
      set: {
        status: 'abandoned',
        closedAt,
        timeToResolutionSeconds: 29 * 86400,
        ...endedIndexAttributes(model.modelId, closedAt, 'inc_00000000000000000301'),
      },
    });
    expect(closed).not.toHaveProperty('endedpk');
    expect(await stored('inc_00000000000000000301')).toMatchObject({
      endedpk: 'ENDED#m-ended',
      endedsk: `${closedAt}#inc_00000000000000000301`,
    });
    expect(await closedInPeriod()).toContain('inc_00000000000000000301');
  });

  it('runs as a script against the table named in GOVERNANCE_TABLE', async () => {
    await putLegacy(
      'inc_00000000000000000401',
      'resolved',
      '2025-12-08T00:00:00.000Z',
      '2026-01-30T00:00:00.000Z',
    );
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/backfill-ended-incidents.ts'],
      { cwd: repoRoot, env: { ...process.env } },
    );
    expect(JSON.parse(stdout)).toMatchObject({ added: 1 });
    expect(await closedInPeriod()).toContain('inc_00000000000000000401');
  });
});
