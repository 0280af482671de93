import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvaluationRecord } from '../../functions/commons/evaluation/store.ts';
import type { IncidentRecord } from '../../functions/commons/incidents/types.ts';
import { approvers, startTestApi, type TestApi } from '../support/api.ts';

const DAY = 86400_000;

describe('KPI report (SOP section 5) against a scripted history', () => {
  let api: TestApi;
  const now = Date.now();
  const at = (daysAgo: number, hours = 0) => new Date(now - daysAgo * DAY + hours * 3600_000).toISOString();

  beforeAll(async () => {
    api = await startTestApi();
    const { putEvaluation } = await import('../../functions/commons/evaluation/store.ts');
    const { putNewIncident } = await import('../../functions/commons/incidents/store.ts');
    await api.call('PUT', '/v1/models/kpi', {
      body: {
        name: 'KPI',
        owner: 'ops@example.com',
        task: 'classification',
        features: [{ name: 'x', type: 'numerical' }],
        approvers,
      },
    });
    await api.call('PUT', '/v1/models/kpi/baseline', {
      body: {
        records: Array.from({ length: 100 }, (_, i) => ({
          features: { x: i },
          prediction: i % 2 ? 'a' : 'b',
        })),
      },
    });
    // 4,000 predictions today.
    for (let batch = 0; batch < 4; batch++) {
      const records = Array.from({ length: 1000 }, (_, i) => ({ features: { x: i % 100 }, prediction: 'a' }));
      expect((await api.call('POST', '/v1/models/kpi/predictions', { body: { records } })).status).toBe(202);
    }
    // 6 complaints and 2 queries.
    for (const category of [
      'complaint',
      'complaint',
      'complaint',
      'complaint',
      'complaint',
      'complaint',
      'query',
      'query',
    ]) {
      await api.call('POST', '/v1/models/kpi/feedback', {
        body: { category, message: 'the score looks wrong' },
      });
    }
    const evaluation = (id: number, daysAgo: number, status: EvaluationRecord['status']) =>
      ({
        evaluationId: `00000000-0000-4000-8000-00000000000${id}`,
        modelId: 'kpi',
        trigger: 'schedule',
        windowStart: at(daysAgo, -1),
        windowEnd: at(daysAgo),
        createdAt: at(daysAgo),
        status,
        reasons: status === 'breach' ? [`breach ${id}`] : [],
        baselineVersion: 1,
        baselineStale: false,
        samples: 500,
        minSamples: 100,
        drift: { columns: [], dataset: { driftedColumns: 0, columns: 0, driftedShare: 0, drifted: false } },
        predictionDrift: null,
        missing: {},
        performance: { fromActuals: { samples: 0, metrics: {} }, points: {}, checks: [] },
        complaints: { count: 0, perThousandPredictions: 0, byCategory: {} },
      }) as EvaluationRecord;
    await putEvaluation(evaluation(1, 20, 'breach'));
    await putEvaluation(evaluation(2, 10, 'ok'));
    await putEvaluation(evaluation(3, 5, 'breach'));
    await putEvaluation(evaluation(4, 2, 'breach'));
    await putEvaluation(evaluation(5, 40, 'breach')); // before the period

    const incident = (id: string, openedDaysAgo: number, fields: Partial<IncidentRecord>) =>
      putNewIncident({
        incidentId: id,
        modelId: 'kpi',
        version: '1.0.0',
        evaluationId: 'e',
        evaluations: ['e'],
        reasons: [],
        status: 'open',
        currentStep: 'investigate',
        history: [],
        openedAt: at(openedDaysAgo),
        updatedAt: at(openedDaysAgo),
        retrainingCycles: 0,
        ...fields,
      });
    await incident('inc-a', 20, {
      status: 'resolved',
      retrainingCycles: 2,
      closedAt: at(19),
      timeToResolutionSeconds: 86400,
    });
    await incident('inc-b', 5, {
      status: 'false_alarm',
      retrainingCycles: 0,
      closedAt: at(5, 2),
      timeToResolutionSeconds: 7200,
    });
    await incident('inc-c', 2, {
      status: 'resolved',
      retrainingCycles: 1,
      closedAt: at(1),
      timeToResolutionSeconds: 90000,
    });
    await incident('inc-d', 1, { status: 'open', retrainingCycles: 1 });
    await incident('inc-old', 45, {
      status: 'abandoned',
      retrainingCycles: 3,
      closedAt: at(44),
      timeToResolutionSeconds: 3600,
    });
  });
  afterAll(async () => api.close());

  it('counts deviations, cycles, times to resolution, feedback and outcomes over the last 30 days', async () => {
    const report = await api.call('GET', '/v1/models/kpi/report');

    expect(report.status).toBe(200);
    expect(report.body.performanceDeviations.count).toBe(3);
    expect(
      report.body.performanceDeviations.evaluations.map((e: { reasons: string[] }) => e.reasons[0]).sort(),
    ).toEqual(['breach 1', 'breach 3', 'breach 4']);
    expect(report.body.retrainingCycles).toEqual({
      total: 4,
      byIncident: { 'inc-a': 2, 'inc-b': 0, 'inc-c': 1, 'inc-d': 1 },
    });
    expect(report.body.timeToResolution.incidents).toHaveLength(3);
    expect(report.body.timeToResolution.medianSeconds).toBe(86400);
    expect(report.body.timeToResolution.meanSeconds).toBe((86400 + 7200 + 90000) / 3);
    expect(report.body.userFeedback).toEqual({
      count: 8,
      byCategory: { complaint: 6, query: 2 },
      predictions: 4000,
      perThousandPredictions: 2,
    });
    expect(report.body.incidentsByOutcome).toEqual({
      open: 1,
      resolved: 2,
      false_alarm: 1,
      abandoned: 0,
      reverted: 0,
      failed: 0,
    });
  });

  it('narrows to a period and refuses a reversed one', async () => {
    const from = encodeURIComponent(at(6));
    const to = encodeURIComponent(at(3));
    const report = await api.call('GET', `/v1/models/kpi/report?from=${from}&to=${to}`);
    expect(report.body.performanceDeviations.count).toBe(1);
    expect(report.body.incidentsByOutcome.false_alarm).toBe(1);
    expect(report.body.timeToResolution.incidents.map((i: { incidentId: string }) => i.incidentId)).toEqual([
      'inc-b',
    ]);

    const reversed = await api.call('GET', `/v1/models/kpi/report?from=${to}&to=${from}`);
    expect(reversed.status).toBe(400);
    expect(reversed.body.error.issues[0].path).toBe('query.from');
  });

  it('refuses a period holding more evaluations than it counts, rather than counting part of them', async () => {
    const { kpiReport } = await import('../../functions/commons/reports/kpi.ts');
    const { loadModel } = await import('../../functions/commons/registry/store.ts');
    const model = await loadModel('kpi');
    const period = [at(30), new Date(now).toISOString()] as const;

    // The last 30 days hold 4 evaluations (the fifth is older).
    const four = await kpiReport(model, ...period, { maxEvaluations: 4 });
    const three = kpiReport(model, ...period, { maxEvaluations: 3 });

    expect(four.performanceDeviations.count).toBe(3);
    await expect(three).rejects.toMatchObject({
      statusCode: 400,
      issues: [{ path: 'query.from', message: expect.stringContaining('at most 3 evaluations') }],
    });
  });

  it('refuses a period holding more incidents than it reads, rather than counting part of them', async () => {
    const { kpiReport } = await import('../../functions/commons/reports/kpi.ts');
    const { loadModel } = await import('../../functions/commons/registry/store.ts');
    const model = await loadModel('kpi');
    const period = [at(30), new Date(now).toISOString()] as const;

    // The last 30 days hold 4 incidents opened in them and 3 that ended in them; the 3 days
    // before 3 days ago, 1 of each.
    const four = await kpiReport(model, ...period, { maxIncidents: 4 });
    await expect(kpiReport(model, ...period, { maxIncidents: 3 })).rejects.toMatchObject({
      statusCode: 400,
      issues: [{ path: 'query.from', message: expect.stringContaining('at most 3 incidents') }],
    });
    const earlier = await kpiReport(model, at(6), at(3), { maxIncidents: 1 });

    expect(four.incidentsByOutcome).toMatchObject({ resolved: 2, false_alarm: 1, open: 1 });
    expect(four.timeToResolution.incidents).toHaveLength(3);
    expect(earlier.timeToResolution.incidents.map((i) => i.incidentId)).toEqual(['inc-b']);
  });

  it('covers at most 366 days, and refuses a longer period naming from', async () => {
    const to = new Date(now);
    const period = (days: number) =>
      `from=${encodeURIComponent(new Date(now - days * DAY).toISOString())}&to=${encodeURIComponent(to.toISOString())}`;

    const year = await api.call('GET', `/v1/models/kpi/report?${period(366)}`);
    const longer = await api.call('GET', `/v1/models/kpi/report?${period(367)}`);
    // Without to, the period ends now: a from 10 years ago is as long.
    const decade = await api.call(
      'GET',
      `/v1/models/kpi/report?from=${encodeURIComponent(new Date(now - 3653 * DAY).toISOString())}`,
    );

    expect(year.status).toBe(200);
    expect(year.body).toMatchObject({ from: new Date(now - 366 * DAY).toISOString(), to: to.toISOString() });
    expect(year.body.userFeedback.count).toBe(8);
    for (const refused of [longer, decade]) {
      expect(refused.status).toBe(400);
      expect(refused.body.error.issues).toEqual([
        { path: 'query.from', message: expect.stringContaining('at most 366 days') },
      ]);
    }
  });
});
