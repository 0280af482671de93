import { describe, expect, it } from 'vitest';
import type { SegmentEvaluation } from '#commons/segments/evaluate';
import { segmentsTable } from '#commons/segments/html';

const segment = (value: string, status: SegmentEvaluation['status'], samples: number): SegmentEvaluation => ({
  feature: 'region',
  value,
  samples,
  referenceRecords: 100,
  status,
  dataset: { driftedColumns: status === 'breach' ? 2 : 0, columns: 3, driftedShare: 0, drifted: false },
  performance: { samples: 10, metrics: { accuracy: 0.5 } },
  ...(status === 'breach'
    ? { drifted: [{ name: 'age', method: 'psi' as const, score: 1.31, threshold: 0.1 }] }
    : {}),
});

describe('the segments table of reports and approval pages', () => {
  it('lists breaching segments first, escapes values, and names the most drifted features', () => {
    const markup = segmentsTable(
      {
        segments: [
          segment('north', 'ok', 300),
          segment('<east>', 'insufficient_data', 5),
          segment('south', 'breach', 250),
        ],
        segmentCounts: { total: 4, listed: 3, breach: 1, ok: 1, insufficient_data: 1 },
      },
      'h3',
    ).value;
    const statuses = [...markup.matchAll(/class="segment-status (\w+)"/g)].map((m) => m[1]);
    expect(statuses).toEqual(['breach', 'ok', 'insufficient_data']);
    expect(markup).toContain('<h3 id="segments">Segments</h3>');
    expect(markup).toContain('region = &lt;east&gt;');
    expect(markup).toContain('age (PSI 1.3100)');
    expect(markup).toContain('Segments: 1 breaching, 1 ok, 1 with too little data (3 of 4 listed)');
  });

  it('shows nothing for an evaluation without segments', () => {
    expect(segmentsTable({}).value).toBe('');
  });
});
