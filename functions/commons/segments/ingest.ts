import { ColumnCounter, type ReferenceProfile } from '#drift/profile';
import type { ColumnCounters } from '../telemetry/deltas.ts';
import { PREDICTION_COLUMN } from '../telemetry/keys.ts';
import { segmentPlans } from './baseline.ts';

interface CountedRecord {
  readonly features: Record<string, unknown>;
  readonly prediction: unknown;
}

/**
 * A batch's segment counters in one bucket: each record is also counted, column by column, in
 * the counters of its segment of every segment feature (`@segment#{feature}#{key}#{column}`),
 * with the segment's own reference profiles. They go into the same delta as the model's
 * columns, so segments add bytes to a batch's delta, not items (docs/drift.md, Segments).
 */
export class SegmentCounters {
  private readonly counters = new Map<string, ColumnCounter>();
  /** Value → key, per feature, for this batch. */
  private readonly keys = new Map<string, Map<string, string>>();

  constructor(private readonly profiles: ReadonlyMap<string, ReferenceProfile>) {}

  add(record: CountedRecord): void {
    for (const plan of segmentPlans(this.profiles)) {
      let cache = this.keys.get(plan.feature);
      if (!cache) {
        cache = new Map();
        this.keys.set(plan.feature, cache);
      }
      const key = plan.assigner.keyOf(record.features[plan.feature], cache);
      if (key === undefined) continue;
      for (const { name, column, profile } of plan.columns.get(key) ?? []) {
        let counter = this.counters.get(name);
        if (!counter) {
          counter = new ColumnCounter(profile);
          this.counters.set(name, counter);
        }
        counter.add(column === PREDICTION_COLUMN ? record.prediction : (record.features[column] ?? null));
      }
    }
  }

  /** The counters as delta columns (none when the baseline has no segments). */
  columns(): ColumnCounters {
    const out: ColumnCounters = {};
    for (const [name, counter] of this.counters) out[name] = counter.counters();
    return out;
  }

  /** The segment keys of a record, by feature, as a stored prediction keeps them for its actual. */
  keysOf(record: CountedRecord): Record<string, string> | undefined {
    const out: Record<string, string> = {};
    for (const plan of segmentPlans(this.profiles)) {
      let cache = this.keys.get(plan.feature);
      if (!cache) {
        cache = new Map();
        this.keys.set(plan.feature, cache);
      }
      const key = plan.assigner.keyOf(record.features[plan.feature], cache);
      if (key !== undefined) out[plan.feature] = key;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
}
