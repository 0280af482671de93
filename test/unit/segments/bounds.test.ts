import { describe, expect, it } from 'vitest';
import { fitReferenceProfile, mergeCounters, type WindowCounters } from '#drift/profile';

process.env.GOVERNANCE_TABLE ??= 'unit-governance';
process.env.TELEMETRY_TABLE ??= 'unit-telemetry';

/**
 * The largest segments an evaluation stores: 3 segment features of 51 segments each, 100
 * features, every value 256 characters JSON escapes (6 bytes each), every segment breaching on
 * every feature. The stored `segments` stay within SEGMENT_BYTES and the reasons within a few
 * hundred characters each, whatever the data.
 */
describe('the largest segments of an evaluation', () => {
  it('are bounded: summaries first, breaching ones first, detail while the budget lasts', async () => {
    const { modelInputSchema } = await import('#commons/registry/schema');
    const { fitSegmentProfiles } = await import('#commons/segments/baseline');
    const { SegmentCounters } = await import('#commons/segments/ingest');
    const { evaluateSegments, SEGMENT_BYTES } = await import('#commons/segments/evaluate');
    const features = Array.from({ length: 100 }, (_, i) => `f${i}`.padEnd(64, '_'));
    const model = {
      ...modelInputSchema.parse({
        name: 'largest',
        owner: 'o@example.com',
        task: 'classification',
        features: features.map((name) => ({ name, type: 'categorical' })),
        segments: features.slice(0, 3),
        schedule: { minSamples: 1 },
        approvers: Object.fromEntries(
          ['dataScienceLead', 'devTeam', 'qa', 'irbLiaison', 'legal', 'mlops', 'operations', 'support'].map(
            (r) => [r, ['a@example.com']],
          ),
        ),
      }),
      modelId: 'largest',
      createdAt: '',
      updatedAt: '',
    };
    const name = (prefix: string, i: number) => `${prefix}${i}`.padEnd(256, '\u0001');
    // 60 values per segment feature (51 segments), two records each; the window has others.
    const row = (side: string, i: number) => ({
      features: Object.fromEntries(features.map((f, c) => [f, name(c < 3 ? 'v' : `${side}${c}-`, i)])),
      prediction: 'x',
    });
    const reference = Array.from({ length: 120 }, (_, i) => row('r', i % 60));
    const fitted = fitSegmentProfiles(
      model,
      reference,
      (values, type) => fitReferenceProfile(values, type, { maxCategoryBytes: 64 * 1024 }),
      'categorical',
    );
    const columns = new Map<string, WindowCounters>();
    const counters = new SegmentCounters(fitted.profiles);
    for (const record of Array.from({ length: 120 }, (_, i) => row('w', i % 60))) counters.add(record);
    for (const [column, counted] of Object.entries(counters.columns()))
      columns.set(column, mergeCounters(columns.get(column) ?? {}, counted));

    const { segments, counts, reasons } = evaluateSegments(
      model,
      fitted.indexes,
      fitted.profiles,
      columns,
      {},
    );

    expect(counts.total).toBe(153);
    expect(counts.breach).toBe(153);
    const bytes = Buffer.byteLength(JSON.stringify(segments));
    expect(bytes).toBeLessThanOrEqual(SEGMENT_BYTES);
    expect(segments.length).toBeGreaterThanOrEqual(50);
    expect(counts.listed).toBe(segments.length);
    expect(segments.every((s) => s.status === 'breach')).toBe(true);
    expect(reasons).toHaveLength(4);
    expect(Buffer.byteLength(JSON.stringify(reasons))).toBeLessThan(4 * 1024);
    console.info(`largest segments: ${bytes} bytes, ${segments.length} of ${counts.total} listed`);
  }, 60_000);
});
