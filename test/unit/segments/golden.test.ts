import { beforeAll, describe, expect, it } from 'vitest';
import { fitReferenceProfile, mergeCounters, type WindowCounters } from '#drift/profile';
import {
  expectSegmentColumn,
  loadSegmentFixtures,
  type SegmentFixture,
} from '../../support/segment-fixtures.ts';

process.env.GOVERNANCE_TABLE ??= 'unit-governance';
process.env.TELEMETRY_TABLE ??= 'unit-telemetry';

/**
 * Segments against SciPy 1.10 from the committed golden fixtures: the segments a baseline
 * tracks (the 50 most frequent values, ties in code-point order, the rest `__other__`), their
 * reference sizes, and per segment every column's binned statistics and chi-square to 1e-9, from
 * profiles fitted on the segment's baseline records and window counters counted batch by batch.
 */
const fixtures = loadSegmentFixtures();

/** A value as an evaluation shows it: cut to 32 code points, an ellipsis marking the cut. */
const shown = (value: string) => ([...value].length <= 32 ? value : `${[...value].slice(0, 31).join('')}…`);

describe.each(fixtures.map((f) => [f.name, f] as const))(
  'segment fixture %s',
  (_, fixture: SegmentFixture) => {
    let results: Awaited<ReturnType<typeof evaluate>>;

    async function evaluate() {
      const { modelInputSchema } = await import('#commons/registry/schema');
      const { fitSegmentProfiles } = await import('#commons/segments/baseline');
      const { SegmentCounters } = await import('#commons/segments/ingest');
      const { segmentResults, evaluateSegments } = await import('#commons/segments/evaluate');
      const { REFERENCE_CATEGORY_BYTES } = await import('#commons/registry/baselines');
      const model = {
        ...modelInputSchema.parse(fixture.model),
        modelId: 'golden',
        createdAt: '',
        updatedAt: '',
      };
      const fitted = fitSegmentProfiles(
        model,
        fixture.reference,
        (values, type) =>
          fitReferenceProfile(values, type, {
            bins: model.thresholds.bins,
            maxCategoryBytes: REFERENCE_CATEGORY_BYTES,
          }),
        'categorical',
      );
      // The window counted in batches of 250, as ingestion does, and merged as readers do.
      const columns = new Map<string, WindowCounters>();
      for (let start = 0; start < fixture.current.length; start += 250) {
        const counters = new SegmentCounters(fitted.profiles);
        for (const record of fixture.current.slice(start, start + 250)) counters.add(record);
        for (const [name, counted] of Object.entries(counters.columns()))
          columns.set(name, mergeCounters(columns.get(name) ?? {}, counted));
      }
      return {
        fitted,
        all: segmentResults(model, fitted.indexes, fitted.profiles, columns, {}),
        stored: evaluateSegments(model, fitted.indexes, fitted.profiles, columns, {}),
      };
    }

    beforeAll(async () => {
      results = await evaluate();
    });

    it('tracks the 50 most frequent values, ties in code-point order, and __other__', () => {
      expect(results.fitted.indexes).toEqual([
        {
          feature: fixture.expected.feature,
          values: fixture.expected.segments.map(({ value, key, records }) => ({ value, key, records })),
        },
      ]);
    });

    it('matches SciPy on every column of every segment, with its samples, dataset verdict and status', () => {
      expect(results.all).toHaveLength(fixture.expected.segments.length);
      for (const want of fixture.expected.segments) {
        const got = results.all.find((s) => s.entry.value === shown(want.value));
        const where = `${fixture.expected.feature}=${want.value}`;
        expect(got, where).toBeDefined();
        const entry = got?.entry as NonNullable<typeof got>['entry'];
        expect(entry.samples, where).toBe(want.samples);
        expect(entry.referenceRecords, where).toBe(want.records);
        expect(entry.status, where).toBe(want.status);
        expect(entry.dataset.driftedColumns, where).toBe(want.dataset.driftedColumns);
        expect(entry.dataset.drifted, where).toBe(want.dataset.drifted);
        expect(entry.columns.map((c) => c.name)).toEqual(want.columns.map((c) => c.name));
        want.columns.forEach((column, i) => {
          expectSegmentColumn(entry.columns[i], column, where);
        });
      }
    });

    it('lists breaching segments first and names them in the reasons', () => {
      const breaching = fixture.expected.segments.filter((s) => s.status === 'breach');
      expect(breaching.length).toBeGreaterThan(0);
      const { segments, counts, reasons } = results.stored;
      expect(segments.slice(0, breaching.length).map((s) => s.status)).toEqual(breaching.map(() => 'breach'));
      expect(counts).toMatchObject({ total: fixture.expected.segments.length, breach: breaching.length });
      for (const segment of breaching) {
        expect(
          reasons.some((r) =>
            r.startsWith(`${fixture.expected.feature}=${shown(segment.value)}: data drift`),
          ),
        ).toBe(true);
      }
    });
  },
);
