import { describe, expect, it } from 'vitest';

import {
  boundedKpiReport,
  KPI_REASON_CHARS,
  KPI_REPORT_BYTES,
} from '../../../functions/commons/reports/kpi-bounds.ts';

// The evaluation store reads its table's name from the environment; these tests read none.
process.env.GOVERNANCE_TABLE ??= 'unit-governance';
const { SUMMARY_REASON_CHARS } = await import('../../../functions/commons/evaluation/store.ts');

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/**
 * A KPI report at the period's limits: 10,000 breaching evaluations (KPI_MAX_EVALUATIONS), each
 * with a drift reason naming 100 features, a quality reason and 50 metric reasons; 10,000
 * incidents closed and opened in the period.
 */
function largest() {
  const reasons = [
    `Data drift in 100 of 100 features (100% ≥ 50%): ${Array.from({ length: 100 }, (_, i) => `${`f${i}`.padEnd(64, '_')} (PSI 1.23 ≥ 0.2)`).join(', ')}`,
    `quality: ${'x'.repeat(2000)}`,
    ...Array.from({ length: 50 }, (_, i) => `${`m${i}`.padEnd(64, '_')} 0.5 below its minimum 0.8`),
  ];
  const evaluations = Array.from({ length: 10_000 }, (_, i) => ({
    evaluationId: uuid(i),
    windowEnd: new Date(Date.UTC(2026, 0, 1, i)).toISOString(),
    reasons,
  }));
  return {
    modelId: 'churn',
    from: '2026-01-01T00:00:00.000Z',
    to: '2027-01-01T00:00:00.000Z',
    performanceDeviations: { count: evaluations.length, evaluations },
    retrainingCycles: {
      total: 30_000,
      byIncident: Object.fromEntries(evaluations.map((_, i) => [`inc_${String(i).padStart(20, '0')}`, 3])),
    },
    timeToResolution: {
      incidents: evaluations.map((_, i) => ({
        incidentId: `inc_${String(i).padStart(20, '0')}`,
        status: 'resolved',
        seconds: 86_400 + i,
      })),
      medianSeconds: 90_000,
      meanSeconds: 90_000,
    },
  };
}

describe('the KPI report bounded in bytes', () => {
  it('lists the deviations of the largest period while they fit, their reasons cut, the count exact', () => {
    const report = largest();
    const bounded = boundedKpiReport(report);
    console.info(
      `largest KPI report: ${bytes(report).toLocaleString('en-US')} bytes whole; ${bytes(bounded).toLocaleString('en-US')} bytes bounded, ${bounded.performanceDeviations.evaluations.length} of ${report.performanceDeviations.count} deviations listed`,
    );
    expect(bytes(report)).toBeGreaterThan(6_291_556);
    expect(bytes(bounded)).toBeLessThanOrEqual(KPI_REPORT_BYTES);
    const { count, evaluations } = bounded.performanceDeviations;
    expect(count).toBe(10_000);
    expect(evaluations.length).toBeGreaterThan(0);
    expect(evaluations.length).toBeLessThan(count);
    expect(bounded.performanceDeviations).toMatchObject({ listed: evaluations.length });
    expect(evaluations.map((e) => e.evaluationId)).toEqual(
      report.performanceDeviations.evaluations.slice(0, evaluations.length).map((e) => e.evaluationId),
    );
    for (const evaluation of evaluations)
      for (const reason of evaluation.reasons) expect([...reason].length).toBeLessThanOrEqual(300);
    expect(evaluations[0]?.reasons[0]).toMatch(/^Data drift in 100 of 100 features .*…$/);
    // The rest of the report is as given.
    expect(bounded.timeToResolution).toBe(report.timeToResolution);
    expect(bounded.retrainingCycles).toBe(report.retrainingCycles);
  });

  it('cuts reasons as evaluation summaries do', () => {
    expect(KPI_REASON_CHARS).toBe(SUMMARY_REASON_CHARS);
  });

  it('leaves a small report as it was', () => {
    const report = {
      modelId: 'churn',
      performanceDeviations: {
        count: 2,
        evaluations: [
          {
            evaluationId: uuid(1),
            windowEnd: '2026-01-01T01:00:00.000Z',
            reasons: ['accuracy 0.7 below 0.8'],
          },
          { evaluationId: uuid(2), windowEnd: '2026-01-01T02:00:00.000Z', reasons: [] },
        ],
      },
    };
    expect(boundedKpiReport(report)).toEqual(report);
    expect(boundedKpiReport(report).performanceDeviations).not.toHaveProperty('listed');
  });

  it('keeps the answer within a budget to the byte', () => {
    const report = largest();
    const rest = bytes(boundedKpiReport(report, 0));
    for (const budget of [rest + 50_000, rest + 123_457]) {
      const bounded = boundedKpiReport(report, budget);
      expect(bytes(bounded)).toBeLessThanOrEqual(budget);
      // One more deviation would not have fitted.
      const listed = bounded.performanceDeviations.evaluations.length;
      const next = report.performanceDeviations.evaluations[listed];
      expect(
        bytes(bounded) + bytes({ ...next, reasons: next?.reasons.map((r) => `${r.slice(0, 299)}…`) }) + 1,
      ).toBeGreaterThan(budget);
    }
  });
});
