import { describe, expect, it } from 'vitest';
import type { ValidationReport } from '../../../functions/commons/incidents/types.ts';
import {
  beforeAfterTable,
  boundText,
  candidateComparison,
  performanceTable,
} from '../../../functions/commons/reports/performance-html.ts';
import { column, evaluation } from './fixtures.ts';

/** The text of each cell of each body row of the first table with `className`. */
function rows(markup: string, className: string): string[][] {
  const table = new RegExp(`<table class="${className}">([\\s\\S]*?)</table>`).exec(markup)?.[1] ?? '';
  const body = /<tbody>([\s\S]*)<\/tbody>/.exec(table)?.[1] ?? '';
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...(row[1] as string).matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) =>
      (cell[1] as string)
        .replace(/<svg[\s\S]*?<\/svg>/g, '[bars]')
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim(),
    ),
  );
}

describe('performance as a table', () => {
  it('shows each metric with baseline, window value, threshold and verdict, then per class', () => {
    // Prepare
    const breach = evaluation('2026-03-01T03:00:00.000Z', {
      accuracy: 0.62947,
      checks: [
        { metric: 'accuracy', value: 0.62947, baseline: 0.9, min: 0.8, maxRelativeDrop: 0.05, ok: false },
        { metric: 'auc', value: null, min: 0.7, ok: null },
      ],
      points: { latency_ms: { count: 12, mean: 41.5 } },
      classes: {
        churn: { precision: 0.5, recall: 0.25, f1: 1 / 3, support: 40 },
        stay: { precision: 0.7, recall: null, f1: null, support: 0 },
      },
    });

    // Act
    const markup = performanceTable(breach).value;

    // Assess
    expect(rows(markup, 'performance')).toEqual([
      ['accuracy', '0.9', '0.6295', '≥ 0.8, drop ≤ 5% of baseline', 'breach'],
      ['auc', '–', '–', '≥ 0.7', 'no data'],
      ['latency_ms (mean of 12 reported)', '–', '41.5', '–', 'not checked'],
    ]);
    expect(markup).toContain('<tr data-metric="accuracy" class="breach">');
    expect(rows(markup, 'per-class')).toEqual([
      ['churn', '0.5', '0.25', '0.3333', '40'],
      ['stay', '0.7', '–', '–', '0'],
    ]);
    expect(markup).not.toContain('{"');
  });

  it('says so when the window has no performance at all', () => {
    const markup = performanceTable(evaluation('2026-03-01T03:00:00.000Z', { accuracy: null })).value.replace(
      /\s+/g,
      ' ',
    );
    expect(rows(markup, 'performance')).toEqual([['accuracy', '–', '–', '–', 'not checked']]);
    const empty = evaluation('2026-03-01T03:00:00.000Z');
    expect(
      performanceTable({
        ...empty,
        performance: { ...empty.performance, fromActuals: { samples: 0, metrics: {} } },
      }).value,
    ).toContain('No performance in this window');
  });

  it('words bounds as people read them', () => {
    expect(boundText({ min: 0.8 })).toBe('≥ 0.8');
    expect(boundText({ max: 0.3, maxRelativeDrop: 0.1 })).toBe('≤ 0.3, drop ≤ 10% of baseline');
    expect(boundText({})).toBe('–');
  });
});

describe('QA’s comparison of candidate and production', () => {
  const report: ValidationReport = {
    candidateVersion: '1.1.0',
    productionVersion: '1.0.0',
    passed: false,
    checks: [
      {
        metric: 'accuracy',
        rule: 'min',
        limit: 0.8,
        actual: 0.88,
        passed: true,
        message: 'accuracy 0.88 ≥ 0.8',
      },
      {
        metric: 'f1',
        rule: 'maxRelativeDrop',
        limit: 0.05,
        actual: 0.7,
        baseline: 0.85,
        passed: false,
        message: 'f1 dropped 17.6%',
      },
      { metric: 'recall', rule: 'present', passed: false, message: 'recall is missing' },
    ],
    comparison: [
      { metric: 'accuracy', candidate: 0.88, production: 0.9 },
      { metric: 'auc', candidate: 0.93 },
      { metric: 'f1', candidate: 0.7, production: 0.85 },
    ],
    checkedAt: '2026-03-01T04:00:00.000Z',
  };

  it('lists every metric with both values, the difference, the bars and the verdict', () => {
    // Act
    const markup = candidateComparison(report).value;

    // Assess
    expect(rows(markup, 'comparison')).toEqual([
      ['accuracy', '0.88', '0.9', '−0.02', '[bars]', 'pass accuracy 0.88 ≥ 0.8'],
      ['auc', '0.93', '–', '–', '[bars]', 'not checked'],
      ['f1', '0.7', '0.85', '−0.15', '[bars]', 'breach f1 dropped 17.6%'],
      ['recall', '–', '–', '–', '[bars]', 'breach recall is missing'],
    ]);
    // The bars share one scale: production's accuracy (0.9) is the longest.
    const widths = [
      ...markup.matchAll(/data-side="(candidate|production)" data-value="([^"]+)"[^>]*width="([^"]+)"/g),
    ]
      .slice(0, 2)
      .map((m) => [m[1], Number(m[3])]);
    expect(widths[0]?.[0]).toBe('candidate');
    expect(widths[1]?.[1]).toBe(176);
    expect(Number(widths[0]?.[1])).toBeCloseTo((176 * 0.88) / 0.9, 0);
  });
});

describe('Operations’ before and after', () => {
  it('compares the breaching window with the promoted version’s, metric by metric', () => {
    const before = evaluation('2026-03-01T03:00:00.000Z', {
      columns: [column('age', 'psi', 0.4, 0.2, true)],
      accuracy: 0.7,
      checks: [{ metric: 'accuracy', value: 0.7, min: 0.8, ok: false }],
      samples: 400,
    });
    const after = evaluation('2026-03-02T03:00:00.000Z', {
      columns: [column('age', 'psi', 0.05, 0.2, false)],
      accuracy: 0.91,
      checks: [{ metric: 'accuracy', value: 0.91, min: 0.8, ok: true }],
      samples: 450,
    });
    const markup = beforeAfterTable(before, after, { before: 'version 1.0.0', after: 'version 1.1.0' }).value;
    expect(rows(markup, 'before-after')).toEqual([
      ['accuracy', '0.7', '0.91', '+0.21', '≥ 0.8', 'pass'],
      ['Samples in the window', '400', '450', '+50', '≥ 100', 'pass'],
      ['Drifted features', '1 of 1', '0 of 1', '–', '–', 'pass'],
    ]);
    expect(markup).toContain('Before the promotion: version 1.0.0. After: version 1.1.0.');
  });
});
