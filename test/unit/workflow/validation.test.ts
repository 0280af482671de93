import { describe, expect, it } from 'vitest';
import { validateCandidate } from '../../../functions/commons/incidents/validation.ts';

const checkedAt = '2026-01-01T00:00:00.000Z';
const production = { version: '1.0.0', metrics: { accuracy: 0.9, rmse: 2 } };

describe('automated re-validation of a candidate', () => {
  it('passes a candidate within every bound and close enough to production', () => {
    // Act
    const report = validateCandidate({
      candidate: { version: '1.1.0', metrics: { accuracy: 0.88, rmse: 2.1, auc: 0.8 } },
      production,
      thresholds: { accuracy: { min: 0.8, maxRelativeDrop: 0.05 }, rmse: { max: 3 } },
      checkedAt,
    });

    // Assess
    expect(report.passed).toBe(true);
    expect(report.checks.map((c) => [c.metric, c.rule, c.passed])).toEqual([
      ['accuracy', 'min', true],
      ['accuracy', 'maxRelativeDrop', true],
      ['rmse', 'max', true],
    ]);
    expect(report.checks[1]).toMatchObject({ baseline: 0.9, actual: 0.88, limit: 0.05 });
    expect(report.comparison).toEqual([
      { metric: 'accuracy', candidate: 0.88, production: 0.9 },
      { metric: 'auc', candidate: 0.8 },
      { metric: 'rmse', candidate: 2.1, production: 2 },
    ]);
    expect(report).toMatchObject({ candidateVersion: '1.1.0', productionVersion: '1.0.0', checkedAt });
  });

  it('fails a candidate below a minimum, above a maximum, or too far below production', () => {
    // Act
    const report = validateCandidate({
      candidate: { version: '1.1.0', metrics: { accuracy: 0.84, rmse: 3.5 } },
      production,
      thresholds: { accuracy: { min: 0.85, maxRelativeDrop: 0.05 }, rmse: { max: 3 } },
      checkedAt,
    });

    // Assess
    expect(report.passed).toBe(false);
    expect(report.checks.filter((c) => !c.passed).map((c) => c.message)).toEqual([
      'accuracy 0.84 < minimum 0.85',
      "accuracy drops 6.67 % from production's 0.9 (at most 5 % drop accepted)",
      'rmse 3.5 > maximum 3',
    ]);
  });

  it('fails a candidate that does not report a metric the model has a threshold for', () => {
    const report = validateCandidate({
      candidate: { version: '1.1.0', metrics: { rmse: 1 } },
      production,
      thresholds: { accuracy: { min: 0.8 } },
      checkedAt,
    });
    expect(report.passed).toBe(false);
    expect(report.checks).toEqual([
      {
        metric: 'accuracy',
        rule: 'present',
        passed: false,
        message: 'the candidate does not report accuracy',
      },
    ]);
  });

  it('does not compare with production where production has no value, and accepts exact bounds', () => {
    const report = validateCandidate({
      candidate: { version: '1.1.0', metrics: { recall: 0.7 } },
      production,
      thresholds: { recall: { min: 0.7, max: 0.7, maxRelativeDrop: 0 } },
      checkedAt,
    });
    expect(report.passed).toBe(true);
    expect(report.checks.at(-1)?.message).toBe('production 1.0.0 has no recall to compare with');
  });

  it('passes when the model has no thresholds: nothing decides automatically, QA still does', () => {
    const report = validateCandidate({
      candidate: { version: '1.1.0', metrics: {} },
      production,
      thresholds: {},
      checkedAt,
    });
    expect(report).toMatchObject({ passed: true, checks: [] });
  });
});
