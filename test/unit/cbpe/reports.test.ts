import { describe, expect, it } from 'vitest';
import type { EstimatedPerformance } from '../../../functions/commons/cbpe/estimate.ts';
import { summariseEstimates } from '../../../functions/commons/cbpe/evaluation.ts';
import type { EvaluationRecord } from '../../../functions/commons/evaluation/store.ts';
import { estimatedPerformanceTable, estimatedTrends } from '../../../functions/commons/reports/cbpe-html.ts';
import { modelTrends } from '../../../functions/commons/reports/trends.ts';
import { evaluation } from '../reports/fixtures.ts';

function withEstimate(windowEnd: string, estimate: EstimatedPerformance): EvaluationRecord {
  return { ...evaluation(windowEnd), estimatedPerformance: estimate };
}

/** The text of each cell of each body row of the estimated-performance table. */
function rows(markup: string): string[][] {
  const body = /<tbody>([\s\S]*)<\/tbody>/.exec(markup)?.[1] ?? '';
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...(row[1] as string).matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) =>
      (cell[1] as string)
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim(),
    ),
  );
}

const before: EstimatedPerformance = {
  accuracy: 0.8,
  precision: 0.6,
  recall: 0.9,
  f1: 0.72,
  samples: 1000,
  positiveClass: '<fraud>',
  clipped: { below: 3, above: 0 },
  checks: [
    {
      metric: 'precision',
      value: 0.6,
      min: 0.7,
      ok: false,
      reason: 'estimated precision 0.6 is below the minimum 0.7',
    },
  ],
};
const after: EstimatedPerformance = {
  ...before,
  accuracy: 0.85,
  checks: [{ metric: 'precision', value: 0.6, min: 0.7, ok: false }],
  realised: { accuracy: 0.75, precision: 0.5, recall: 1, f1: 2 / 3, samples: 40 },
  error: { accuracy: 0.1, precision: 0.1, recall: -0.1, f1: 0.72 - 2 / 3 },
};

describe('estimated performance in the reports', () => {
  it('shows the estimate beside the realised value and its error, with the bound and verdict', () => {
    const markup = estimatedPerformanceTable(withEstimate('2026-03-01T02:00:00.000Z', after)).value;
    expect(rows(markup)).toEqual([
      ['accuracy', '0.85', '0.75', '+0.1', '–', 'not checked'],
      ['precision', '0.6', '0.5', '+0.1', '≥ 0.7', 'breach'],
      ['recall', '0.9', '1', '−0.1', '–', 'not checked'],
      ['f1', '0.72', '0.6667', '+0.05333', '–', 'not checked'],
    ]);
    expect(markup).toContain('positive class "&lt;fraud&gt;"');
    expect(markup).toContain('from 40 prediction–actual pairs');
    expect(markup).toContain('3 score(s) below and 0 above');
  });

  it('says no actual is joined yet, and shows nothing for a model without an estimate', () => {
    const markup = estimatedPerformanceTable(withEstimate('2026-03-01T01:00:00.000Z', before)).value;
    expect(rows(markup)[0]).toEqual(['accuracy', '0.8', '–', '–', '–', 'not checked']);
    expect(markup).toContain('no actual joined yet');
    expect(estimatedPerformanceTable(evaluation('2026-03-01T01:00:00.000Z')).value).toBe('');
  });

  it('draws a trend per estimated metric in the model trends, breaching dots in red', () => {
    const evaluations = [
      withEstimate('2026-03-01T01:00:00.000Z', before),
      withEstimate('2026-03-01T02:00:00.000Z', after),
    ];
    const model = {
      thresholds: { performance: {}, estimatedPerformance: { precision: { min: 0.7 } } },
    } as never;
    expect(estimatedTrends(model, evaluations, [])).toHaveLength(4);
    const trends = modelTrends({ model, evaluations, incidents: [] });
    const precision = trends.performance.map((t) => t.value).find((v) => v.includes('Estimated precision'));
    expect(precision).toContain('data-threshold="0.7"');
    expect(precision?.match(/data-value="0.6"/g)).toHaveLength(2);
  });

  it('summarises the estimate against the realised values for the model report', () => {
    const summary = summariseEstimates([
      withEstimate('2026-03-01T02:00:00.000Z', after),
      withEstimate('2026-03-01T01:00:00.000Z', before),
      evaluation('2026-03-01T03:00:00.000Z'),
    ]);
    expect(summary).toEqual({
      evaluations: 2,
      withActuals: 1,
      meanAbsoluteError: { accuracy: 0.1, precision: 0.1, recall: 0.1, f1: 0.72 - 2 / 3 },
      latest: {
        evaluationId: 'eval-2026-03-01T02:00:00.000Z',
        windowEnd: '2026-03-01T02:00:00.000Z',
        estimated: { accuracy: 0.85, precision: 0.6, recall: 0.9, f1: 0.72, samples: 1000 },
        realised: after.realised,
        error: after.error,
      },
    });
    expect(summariseEstimates([evaluation('2026-03-01T03:00:00.000Z')])).toBeUndefined();
  });
});
