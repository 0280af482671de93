import { describe, expect, it } from 'vitest';
import { checkThresholds, performanceFromActuals } from '../../functions/commons/evaluation/performance.ts';
import type { ModelRecord } from '../../functions/commons/registry/store.ts';

const classification = { task: 'classification', thresholds: { performance: {} } } as unknown as ModelRecord;
const regression = { task: 'regression', thresholds: { performance: {} } } as unknown as ModelRecord;
const cm = (actual: string, predicted: string) => `cm:${JSON.stringify([actual, predicted])}`;

describe('performance from joined actuals', () => {
  it('computes accuracy and per-class and macro precision, recall and F1 from the confusion counters', () => {
    // actual churn: 8 predicted churn, 2 predicted stay; actual stay: 4 predicted churn, 26 predicted stay.
    const counters = {
      n: 40,
      [cm('churn', 'churn')]: 8,
      [cm('churn', 'stay')]: 2,
      [cm('stay', 'churn')]: 4,
      [cm('stay', 'stay')]: 26,
    };

    const result = performanceFromActuals(classification, counters);

    expect(result.samples).toBe(40);
    expect(result.metrics.accuracy).toBeCloseTo(34 / 40, 12);
    expect(result.classes?.churn).toEqual({
      precision: 8 / 12,
      recall: 8 / 10,
      f1: (2 * (8 / 12) * 0.8) / (8 / 12 + 0.8),
      support: 10,
    });
    expect(result.classes?.stay?.precision).toBeCloseTo(26 / 28, 12);
    expect(result.classes?.stay?.recall).toBeCloseTo(26 / 30, 12);
    expect(result.metrics.precision).toBeCloseTo((8 / 12 + 26 / 28) / 2, 12);
    expect(result.metrics.recall).toBeCloseTo((0.8 + 26 / 30) / 2, 12);
  });

  it('leaves metrics null without samples, and a class never predicted without precision', () => {
    expect(performanceFromActuals(classification, {}).metrics).toEqual({
      accuracy: null,
      precision: null,
      recall: null,
      f1: null,
    });
    const result = performanceFromActuals(classification, { n: 3, [cm('a', 'b')]: 3 });
    expect(result.classes?.a).toEqual({ precision: null, recall: 0, f1: null, support: 3 });
    expect(result.classes?.b).toEqual({ precision: 0, recall: null, f1: null, support: 0 });
    expect(result.metrics.accuracy).toBe(0);
  });

  it('computes MAE and RMSE for regression', () => {
    expect(performanceFromActuals(regression, { n: 4, ae: 6, se: 12 }).metrics).toEqual({
      mae: 1.5,
      rmse: Math.sqrt(3),
    });
  });
});

describe('threshold checks', () => {
  const model = {
    thresholds: {
      performance: {
        accuracy: { min: 0.85 },
        latency_ms: { max: 200 },
        f1: { maxRelativeDrop: 0.05 },
        recall: { min: 0.5 },
      },
    },
  } as unknown as ModelRecord;

  it('fails a value below min, above max, or dropped more than allowed from the baseline, and names it', () => {
    const checks = checkThresholds(
      model,
      { accuracy: 0.8, latency_ms: 250, f1: 0.8, recall: null },
      { f1: 0.9 },
    );
    expect(checks).toEqual([
      {
        metric: 'accuracy',
        value: 0.8,
        min: 0.85,
        ok: false,
        reason: 'accuracy 0.8 is below the minimum 0.85',
      },
      {
        metric: 'latency_ms',
        value: 250,
        max: 200,
        ok: false,
        reason: 'latency_ms 250 is above the maximum 200',
      },
      {
        metric: 'f1',
        value: 0.8,
        baseline: 0.9,
        maxRelativeDrop: 0.05,
        ok: false,
        reason: 'f1 0.8 dropped 11.11% from the baseline 0.9 (more than 5%)',
      },
      { metric: 'recall', value: null, min: 0.5, ok: null, reason: 'recall: no data in the window' },
    ]);
  });

  it('passes values within their bounds', () => {
    const checks = checkThresholds(
      model,
      { accuracy: 0.9, latency_ms: 120, f1: 0.88, recall: 0.7 },
      { f1: 0.9 },
    );
    expect(checks.map((c) => c.ok)).toEqual([true, true, true, true]);
  });
});
