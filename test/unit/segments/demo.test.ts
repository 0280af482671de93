import { describe, expect, it } from 'vitest';
import { fitReferenceProfile, mergeCounters, type WindowCounters } from '#drift/profile';
import { demoFeatures, drawRecords, rng } from '../../../local/demo/data.ts';

process.env.GOVERNANCE_TABLE ??= 'unit-governance';
process.env.TELEMETRY_TABLE ??= 'unit-telemetry';

/** The demo's shift shows in one segment of its `contract` feature: month-to-month. */
describe("the demo model's contract segments", () => {
  it('breach on month-to-month only, in drift and in accuracy', async () => {
    const { modelInputSchema } = await import('#commons/registry/schema');
    const { fitSegmentProfiles } = await import('#commons/segments/baseline');
    const { SegmentCounters } = await import('#commons/segments/ingest');
    const { segmentResults } = await import('#commons/segments/evaluate');
    const { segmentColumn } = await import('#commons/segments/columns');
    const model = {
      ...modelInputSchema.parse({
        name: 'demo',
        owner: 'o@example.com',
        task: 'classification',
        features: demoFeatures,
        segments: ['contract'],
        schedule: { every: 'PT1M', window: 'PT1M', minSamples: 50 },
        thresholds: { performance: { accuracy: { min: 0.8 } } },
        approvers: Object.fromEntries(
          ['dataScienceLead', 'devTeam', 'qa', 'irbLiaison', 'legal', 'mlops', 'operations', 'support'].map(
            (r) => [r, ['a@example.com']],
          ),
        ),
      }),
      modelId: 'demo',
      createdAt: '',
      updatedAt: '',
    };
    const fitted = fitSegmentProfiles(
      model,
      drawRecords(rng(1), 3000, 'normal', 0.9),
      (values, type) => fitReferenceProfile(values, type, {}),
      'categorical',
    );
    const window = drawRecords(rng(7), 600, 'shifted', 0.6);
    const counters = new SegmentCounters(fitted.profiles);
    for (const record of window) counters.add(record);
    const columns = new Map<string, WindowCounters>(Object.entries(counters.columns()));
    // Joined actuals, as ingestion counts them per segment.
    for (const { key } of fitted.indexes[0]?.values ?? []) {
      const members = window.filter((r) => r.features.contract === key);
      const correct = members.filter((r) => r.actual === r.prediction).length;
      const column = segmentColumn('contract', key, '@performance');
      columns.set(column, mergeCounters(columns.get(column) ?? {}, { n: members.length, correct }));
    }

    const results = segmentResults(model, fitted.indexes, fitted.profiles, columns, {});

    const status = Object.fromEntries(results.map((r) => [r.entry.value, r.entry.status]));
    expect(status).toEqual({
      'month-to-month': 'breach',
      'one-year': 'ok',
      'two-year': 'ok',
      __other__: 'insufficient_data',
    });
    const breach = results.find((r) => r.entry.value === 'month-to-month');
    expect(breach?.reasons.join(' ')).toMatch(/contract=month-to-month: data drift in 2 of 4 features/);
    expect(breach?.reasons.join(' ')).toMatch(/accuracy .* below the minimum 0.8/);
  });
});
