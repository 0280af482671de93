import { describe, expect, it } from 'vitest';
import type { ModelRecord } from '../../../functions/commons/registry/store.ts';
import { modelTrends, trendsSection } from '../../../functions/commons/reports/trends.ts';
import { column, evaluation } from './fixtures.ts';

const model = {
  thresholds: { performance: { accuracy: { min: 0.8 } } },
} as unknown as Pick<ModelRecord, 'thresholds'>;

/** `data-at`/`data-value` of each dot or bar of a chart, in document order. */
function values(svg: string): [string, number][] {
  return [...svg.matchAll(/data-at="([^"]+)" data-value="([^"]+)"/g)].map((m) => [
    m[1] as string,
    Number(m[2]),
  ]);
}

const hours = ['2026-03-01T01:00:00.000Z', '2026-03-01T02:00:00.000Z', '2026-03-01T03:00:00.000Z'];
const evaluations = [
  // Newest first, as the store lists them.
  evaluation(hours[2] as string, {
    columns: [column('age', 'psi', 0.4, 0.2, true), column('plan', 'chiSquare', 0.001, 0.05, true)],
    accuracy: 0.7,
    checks: [{ metric: 'accuracy', value: 0.7, min: 0.8, ok: false }],
    samples: 90,
  }),
  evaluation(hours[1] as string, {
    columns: [column('age', 'psi', 0.12, 0.2, false), column('plan', 'chiSquare', 0.4, 0.05, false)],
    accuracy: 0.85,
    checks: [{ metric: 'accuracy', value: 0.85, min: 0.8, ok: true }],
  }),
  evaluation(hours[0] as string, {
    columns: [column('age', 'psi', 0.05, 0.2, false)],
    accuracy: 0.9,
    checks: [{ metric: 'accuracy', value: 0.9, min: 0.8, ok: true }],
  }),
];

describe('model trends', () => {
  it('draws each feature’s drift score over the evaluations, oldest first, with its threshold', () => {
    // Act
    const trends = modelTrends({
      model,
      evaluations,
      incidents: [{ incidentId: 'inc_1', openedAt: '2026-03-01T03:00:05.000Z' }],
    });

    // Assess
    expect(trends.drift).toHaveLength(2);
    const [age, plan] = trends.drift.map((figure) => figure.value);
    expect(values(age as string)).toEqual([
      [hours[0], 0.05],
      [hours[1], 0.12],
      [hours[2], 0.4],
    ]);
    expect(age).toContain('data-threshold="0.2"');
    expect(age).toContain('drift at or above the dashed line (0.2)');
    // plan has no value in the first evaluation; its p-value axis runs to 1 and drifts below.
    expect(values(plan as string)).toEqual([
      [hours[1], 0.4],
      [hours[2], 0.001],
    ]);
    expect(plan).toContain('Chi-square p-value; drift below the dashed line (0.05)');
    // Every chart marks the incident once.
    for (const figure of [...trends.drift, ...trends.performance, trends.samples])
      expect(figure.value.match(/class="marker"/g)).toHaveLength(1);
  });

  it('draws performance with its minimum, breaches in red, and the samples per window with theirs', () => {
    const trends = modelTrends({ model, evaluations, incidents: [] });
    expect(trends.performance).toHaveLength(1);
    const accuracy = trends.performance[0]?.value as string;
    expect(values(accuracy)).toEqual([
      [hours[0], 0.9],
      [hours[1], 0.85],
      [hours[2], 0.7],
    ]);
    expect(accuracy).toContain('data-threshold="0.8"');
    expect(accuracy.match(/fill="#b42318"/g)).toHaveLength(1);
    expect(values(trends.samples.value)).toEqual([
      [hours[0], 500],
      [hours[1], 500],
      [hours[2], 90],
    ]);
    expect(trends.samples.value).toContain('data-threshold="100"');
    expect(trends.samples.value).toContain('minimum 100 for a verdict');
  });

  it('leaves out incidents older than the evaluations drawn, and says when there is nothing to draw', () => {
    const trends = modelTrends({
      model,
      evaluations,
      incidents: [{ incidentId: 'inc_0', openedAt: '2025-01-01T00:00:00.000Z' }],
    });
    expect(trends.samples.value).not.toContain('class="marker"');
    expect(trendsSection({ model, evaluations: [], incidents: [] }).value).toContain('No evaluation yet');
  });

  it('escapes feature names', () => {
    const section = trendsSection({
      model,
      evaluations: [
        evaluation(hours[0] as string, { columns: [column('<b>x</b>', 'psi', 0.1, 0.2, false)] }),
      ],
      incidents: [],
    }).value;
    expect(section).not.toContain('<b>x</b>');
    expect(section).toContain('&lt;b&gt;x&lt;/b&gt;');
  });
});
