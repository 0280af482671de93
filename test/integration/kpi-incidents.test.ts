import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentRecord, IncidentStatus } from '../../functions/commons/incidents/types.ts';
import type { ModelRecord } from '../../functions/commons/registry/store.ts';
import { startTestDynamoDb, type TestDynamoDb, useLocalDynamoDb } from '../support/dynalite.ts';

const DAY = 86400_000;

/**
 * The incidents of the KPI report on dynalite: the report counts the incidents opened in its
 * period and those that ended in it, whatever happened before or after, and reads two key ranges
 * to find them (the incident index by opening time, the model's ended incidents by end time), so
 * what it reads grows with the period, never with the history.
 */
describe('KPI report: the incidents of a period', () => {
  let db: TestDynamoDb;
  let store: typeof import('../../functions/commons/incidents/store.ts');
  let ended: typeof import('../../functions/commons/incidents/ended-index.ts');
  let kpi: typeof import('../../functions/commons/reports/kpi.ts');
  let dynamoDb: typeof import('../../functions/commons/clients/dynamodb.ts')['dynamoDb'];

  const model = (modelId: string) => ({ modelId }) as ModelRecord;
  const iso = (day: string) => new Date(`2026-${day}Z`).toISOString();

  /** An incident opened at `openedAt`, as the code that opens one writes it. */
  const open = (incidentId: string, modelId: string, openedAt: string, retrainingCycles = 0) =>
    store.putNewIncident({
      incidentId,
      modelId,
      version: '1.0.0',
      evaluationId: 'e',
      evaluations: ['e'],
      reasons: ['Data drift in x'],
      status: 'open',
      currentStep: 'investigate',
      history: [],
      openedAt,
      updatedAt: openedAt,
      retrainingCycles,
    });
  /** Ends an incident as the workflow does (`closeIncident`, `failIncident`): one update. */
  const end = async (incidentId: string, status: Exclude<IncidentStatus, 'open'>, closedAt: string) => {
    const incident = (await store.getIncident(incidentId)) as IncidentRecord;
    const seconds = Math.round((Date.parse(closedAt) - Date.parse(incident.openedAt)) / 1000);
    await store.updateIncident(incidentId, {
      set: {
        status,
        closedAt,
        ...(status === 'failed' ? {} : { timeToResolutionSeconds: seconds }),
        ...ended.endedIndexAttributes(incident.modelId, closedAt, incidentId),
      },
    });
  };

  /** What a read answers, and the index and table items DynamoDB read for it (ScannedCount, before any filter). */
  const scannedBy = async <T>(read: () => Promise<T>): Promise<{ result: T; scanned: number }> => {
    let scanned = 0;
    const name = 'kpiScannedCounter';
    dynamoDb.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        scanned += (result.output as { ScannedCount?: number }).ScannedCount ?? 0;
        return result;
      },
      { step: 'initialize', name },
    );
    try {
      return { result: await read(), scanned };
    } finally {
      dynamoDb.middlewareStack.remove(name);
    }
  };

  beforeAll(async () => {
    db = await startTestDynamoDb();
    useLocalDynamoDb(db.endpoint, db.tableNames);
    store = await import('../../functions/commons/incidents/store.ts');
    ended = await import('../../functions/commons/incidents/ended-index.ts');
    kpi = await import('../../functions/commons/reports/kpi.ts');
    ({ dynamoDb } = await import('../../functions/commons/clients/dynamodb.ts'));
  });
  afterAll(async () => db?.close());

  describe('figures', () => {
    const from = iso('03-10T00:00:00.000');
    const to = iso('03-20T00:00:00.000');

    beforeAll(async () => {
      // Opened before the period.
      await open('before-ended-inside', 'kpi-m', iso('03-01T00:00:00'), 2);
      await end('before-ended-inside', 'resolved', iso('03-12T00:00:00'));
      await open('before-ended-at-from', 'kpi-m', iso('03-05T00:00:00'), 1);
      await end('before-ended-at-from', 'abandoned', from);
      await open('before-ended-after', 'kpi-m', iso('03-02T00:00:00'));
      await end('before-ended-after', 'resolved', iso('03-25T00:00:00'));
      await open('before-ended-before', 'kpi-m', iso('03-03T00:00:00'));
      await end('before-ended-before', 'resolved', iso('03-04T00:00:00'));
      await open('before-open', 'kpi-m', iso('03-06T00:00:00'));
      await open('before-failed-inside', 'kpi-m', iso('03-07T00:00:00'));
      await end('before-failed-inside', 'failed', iso('03-11T00:00:00'));
      // Written ended, as a record is written whole (an import, the demo).
      await store.putNewIncident({
        incidentId: 'before-written-ended-inside',
        modelId: 'kpi-m',
        version: '1.0.0',
        evaluationId: 'e',
        evaluations: ['e'],
        reasons: [],
        status: 'resolved',
        currentStep: 'closed',
        history: [],
        openedAt: iso('03-08T00:00:00'),
        updatedAt: iso('03-19T00:00:00'),
        closedAt: iso('03-19T00:00:00'),
        timeToResolutionSeconds: 11 * 86400,
        retrainingCycles: 4,
      });
      // Opened in the period.
      await open('inside-at-from', 'kpi-m', from);
      await open('inside-ended-inside', 'kpi-m', iso('03-11T00:00:00'));
      await end('inside-ended-inside', 'false_alarm', iso('03-13T00:00:00'));
      await open('inside-ended-after', 'kpi-m', iso('03-14T00:00:00'), 3);
      await end('inside-ended-after', 'resolved', iso('03-22T00:00:00'));
      await open('inside-open', 'kpi-m', iso('03-15T00:00:00'), 1);
      await open('inside-failed', 'kpi-m', iso('03-16T00:00:00'), 2);
      await end('inside-failed', 'failed', iso('03-17T00:00:00'));
      await open('inside-ended-at-to', 'kpi-m', iso('03-18T00:00:00'), 1);
      await end('inside-ended-at-to', 'reverted', to);
      // Opened at the period's end or after it, and another model's.
      await open('at-to', 'kpi-m', to);
      await open('after', 'kpi-m', iso('03-21T00:00:00'));
      await end('after', 'resolved', iso('03-23T00:00:00'));
      await open('other-model', 'kpi-other', iso('03-12T00:00:00'), 5);
      await end('other-model', 'resolved', iso('03-13T00:00:00'));
    });

    it('counts the incidents opened in the period and those that ended in it, and nothing else', async () => {
      const report = await kpi.kpiReport(model('kpi-m'), from, to);

      expect(report.incidentsByOutcome).toEqual({
        open: 2,
        resolved: 1,
        false_alarm: 1,
        abandoned: 0,
        reverted: 1,
        failed: 1,
      });
      expect(report.retrainingCycles).toEqual({
        total: 7,
        byIncident: {
          'inside-ended-at-to': 1,
          'inside-failed': 2,
          'inside-open': 1,
          'inside-ended-after': 3,
          'inside-ended-inside': 0,
          'inside-at-from': 0,
        },
      });
      // Newest opened first; a failed incident has no time to resolution.
      expect(report.timeToResolution).toEqual({
        incidents: [
          { incidentId: 'inside-ended-inside', status: 'false_alarm', seconds: 2 * 86400 },
          { incidentId: 'before-written-ended-inside', status: 'resolved', seconds: 11 * 86400 },
          { incidentId: 'before-ended-at-from', status: 'abandoned', seconds: 5 * 86400 },
          { incidentId: 'before-ended-inside', status: 'resolved', seconds: 11 * 86400 },
        ],
        medianSeconds: 8 * 86400,
        meanSeconds: (29 / 4) * 86400,
      });
      expect(report.versions).toBeDefined();
    });

    it('gives the figures of a report that reads every incident of the model', async () => {
      // The reference: every incident of the model, filtered as the report's figures define them.
      const all = await store.listIncidents({ modelId: 'kpi-m', limit: 1000 });
      const within = (at: string | undefined, a: string, b: string) => at !== undefined && at >= a && at < b;
      for (const [a, b] of [
        [from, to],
        [iso('03-01T00:00:00.000'), iso('03-12T00:00:00.000')],
        [iso('03-12T00:00:00.000'), iso('03-31T00:00:00.000')],
        [iso('03-13T00:00:00.000'), iso('03-13T00:00:00.001')],
      ] as const) {
        const report = await kpi.kpiReport(model('kpi-m'), a, b);
        const opened = all.filter((i) => within(i.openedAt, a, b));
        const closed = all.filter(
          (i) => within(i.closedAt, a, b) && typeof i.timeToResolutionSeconds === 'number',
        );
        expect(Object.keys(report.retrainingCycles.byIncident).sort(), `${a} ${b}`).toEqual(
          opened.map((i) => i.incidentId).sort(),
        );
        expect(report.retrainingCycles.total).toBe(opened.reduce((n, i) => n + i.retrainingCycles, 0));
        expect(report.timeToResolution.incidents).toEqual(
          closed.map((i) => ({
            incidentId: i.incidentId,
            status: i.status,
            seconds: i.timeToResolutionSeconds,
          })),
        );
        for (const status of Object.keys(report.incidentsByOutcome) as IncidentStatus[])
          expect(report.incidentsByOutcome[status]).toBe(opened.filter((i) => i.status === status).length);
      }
    });

    it('never shows the index attributes in an incident', async () => {
      const incident = await store.getIncident('inside-ended-inside');
      expect(incident).toMatchObject({ status: 'false_alarm' });
      expect(incident).not.toHaveProperty('endedpk');
      expect(incident).not.toHaveProperty('endedsk');
    });
  });

  describe('reads', () => {
    // A model with a long history, one incident a day, each ended the next day; the period is
    // two days of it.
    const start = Date.parse('2025-01-01T00:00:00.000Z');
    const day = (n: number) => new Date(start + n * DAY).toISOString();
    const history = async (days: number[]) => {
      for (const n of days) {
        const incidentId = `hist-${String(n).padStart(4, '0')}`;
        await open(incidentId, 'kpi-long', day(n) as string, 1);
        await end(incidentId, 'resolved', day(n + 1) as string);
      }
    };
    const period = [day(300.5), day(302.5)] as const;

    beforeAll(async () => {
      await history(Array.from({ length: 100 }, (_, i) => 250 + i));
      // Another model's incident in the period.
      await open('hist-other', 'kpi-long-other', day(301.25));
    }, 60_000);

    it('reads the incidents of the period, not the history: twice the history, the same items read', async () => {
      // Opened in the period: days 301 and 302 (and the other model's); ended in it: days 301, 302.
      const short = await scannedBy(() => kpi.kpiReport(model('kpi-long'), ...period));
      expect(short.result.incidentsByOutcome.resolved).toBe(2);
      expect(short.result.timeToResolution.incidents.map((i) => i.incidentId)).toEqual([
        'hist-0301',
        'hist-0300',
      ]);
      expect(short.scanned).toBe(3 + 2);

      // 150 more days of history before the period and 50 after it.
      await history([
        ...Array.from({ length: 150 }, (_, i) => 100 + i),
        ...Array.from({ length: 50 }, (_, i) => 350 + i),
      ]);
      const again = await scannedBy(() => kpi.kpiReport(model('kpi-long'), ...period));

      expect(again.result).toEqual(short.result);
      expect(again.scanned).toBe(short.scanned);
    }, 60_000);

    it('refuses a period whose ranges hold more incidents than it reads, naming from', async () => {
      // The period's ranges hold 3 incidents opened in it (two models) and 2 ended in it.
      expect(
        (await kpi.kpiReport(model('kpi-long'), ...period, { maxIncidents: 3 })).incidentsByOutcome,
      ).toMatchObject({ resolved: 2 });
      await expect(kpi.kpiReport(model('kpi-long'), ...period, { maxIncidents: 2 })).rejects.toMatchObject({
        statusCode: 400,
        issues: [{ path: 'query.from', message: expect.stringContaining('ask for a shorter period') }],
      });
      // A period of 30 days of the history: 30 incidents in each range.
      await expect(
        kpi.kpiReport(model('kpi-long'), day(260) as string, day(290) as string, { maxIncidents: 29 }),
      ).rejects.toMatchObject({ statusCode: 400, issues: [{ path: 'query.from' }] });
      expect(
        (await kpi.kpiReport(model('kpi-long'), day(260) as string, day(290) as string, { maxIncidents: 30 }))
          .timeToResolution.incidents,
      ).toHaveLength(30);
    });
  });
});
