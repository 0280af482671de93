import { applyDatasetRule } from '#drift/fdr';
import type { ReferenceProfile, WindowCounters } from '#drift/profile';
import type { ColumnDrift, DatasetDrift, DriftMethod } from '#drift/types';
import { compareCodePoints } from '#drift/values';
import { datasetRuleOf, fdrReason } from '../evaluation/dataset-rule.ts';
import { driftReason, featureDrift, rows } from '../evaluation/evaluate.ts';
import { cut } from '../evaluation/format.ts';
import { checkThresholds, performanceFromActuals } from '../evaluation/performance.ts';
import type { EvaluationStatus } from '../evaluation/store.ts';
import type { ModelRecord } from '../registry/store.ts';
import { PERFORMANCE_COLUMN, PREDICTION_COLUMN } from '../telemetry/keys.ts';
import type { SegmentIndex } from './baseline.ts';
import { segmentColumn } from './columns.ts';

/** A drifted column of a segment, as its summary lists it. */
export interface SegmentDriftedColumn {
  readonly name: string;
  readonly method: DriftMethod;
  readonly score: number | null;
  readonly threshold: number;
}

/** One segment of an evaluation (docs/drift.md, Segments). */
export interface SegmentEvaluation {
  readonly feature: string;
  /** The segment's value, cut to {@link SEGMENT_VALUE_LENGTH} characters (an ellipsis marks a cut), or `__other__`. */
  readonly value: string;
  /** Predictions of the segment in the window. */
  readonly samples: number;
  /** Baseline records of the segment: its reference. */
  readonly referenceRecords: number;
  readonly status: EvaluationStatus;
  readonly dataset: DatasetDrift;
  /** The drifted columns, at most {@link LISTED_DRIFTED} (the most drifted first), while the evaluation's budget lasts. */
  readonly drifted?: SegmentDriftedColumn[];
  /** Every column's drift, exactly as the model's `drift.columns`, while the evaluation's budget lasts. */
  readonly columns?: ColumnDrift[];
  /** Performance from the actuals joined to the segment's predictions. */
  readonly performance: { samples: number; metrics: Record<string, number | null> };
}

/** How many segments the evaluation has, by status, and how many it lists. */
export interface SegmentCounts {
  readonly total: number;
  readonly listed: number;
  readonly breach: number;
  readonly ok: number;
  readonly insufficient_data: number;
}

/** Characters of a segment's value an evaluation shows. */
export const SEGMENT_VALUE_LENGTH = 32;
/** Drifted columns a segment's summary names. */
export const LISTED_DRIFTED = 10;
/**
 * Bytes of JSON the `segments` of an evaluation take at most: summaries first (breaching
 * segments first), then the drifted-column lists, then the full columns, each while it fits.
 * The worst summary (a 64-character feature, a value of 32 escaped characters) takes about 600
 * bytes, so at least fifty segments are always listed, 153 (3 features × 51) as a rule; the
 * counts name them all. 32 KB keeps the largest evaluation, and the chain event that carries it,
 * well below DynamoDB's 400 KB ("Item sizes" in docs/architecture.md).
 */
export const SEGMENT_BYTES = 32 * 1024;
/** Segment breaches an evaluation's reasons name one by one; the rest are counted in one more reason. */
export const SEGMENT_REASONS = 3;
const REASON_CHARS = 200;

const STATUS_ORDER: Record<EvaluationStatus, number> = { breach: 0, ok: 1, insufficient_data: 2 };

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** How far a drifted column is past its threshold, to rank a segment's drifted columns. */
function severity(column: ColumnDrift): number {
  if (column.score === null) return 0;
  const pValue = column.method === 'ks' || column.method === 'chiSquare';
  return pValue ? column.threshold / Math.max(column.score, 1e-300) : column.score / column.threshold;
}

interface Evaluated {
  readonly entry: SegmentEvaluation & { columns: ColumnDrift[]; drifted: SegmentDriftedColumn[] };
  readonly reasons: string[];
}

/**
 * Evaluates every segment of the baseline: per segment, the drift of every feature from the
 * segment's reference profiles and window counters, exactly as the model's columns
 * ({@link featureDrift}), the dataset verdict with the model's drift share, and performance from
 * its joined actuals against the model's performance thresholds. A segment with fewer than
 * `minSamples` predictions in the window, or with no baseline records, is `insufficient_data`;
 * otherwise `breach` when its dataset drifted or a threshold broke, else `ok`.
 *
 * Returns the segments as the evaluation stores them (bounded by {@link SEGMENT_BYTES}), their
 * counts, and the reasons to add to the evaluation's (each names its segment: `region=south: ...`).
 */
export function evaluateSegments(
  model: ModelRecord,
  indexes: readonly SegmentIndex[],
  profiles: ReadonlyMap<string, ReferenceProfile>,
  columns: ReadonlyMap<string, WindowCounters>,
  baselineMetrics: Record<string, number>,
): { segments: SegmentEvaluation[]; counts: SegmentCounts; reasons: string[] } {
  const evaluated = segmentResults(model, indexes, profiles, columns, baselineMetrics);
  const segments = bounded(evaluated.map((e) => e.entry));
  const breaching = evaluated.filter((e) => e.reasons.length > 0);
  const reasons = breaching.slice(0, SEGMENT_REASONS).flatMap((e) => e.reasons);
  if (breaching.length > SEGMENT_REASONS) {
    reasons.push(
      `${breaching.length - SEGMENT_REASONS} more segments breach (see the evaluation's segments)`,
    );
  }
  const count = (status: EvaluationStatus) => evaluated.filter((e) => e.entry.status === status).length;
  return {
    segments,
    counts: {
      total: evaluated.length,
      listed: segments.length,
      breach: count('breach'),
      ok: count('ok'),
      insufficient_data: count('insufficient_data'),
    },
    reasons,
  };
}

/** Every segment evaluated in full, breaching ones first, then by predictions in the window. */
export function segmentResults(
  model: ModelRecord,
  indexes: readonly SegmentIndex[],
  profiles: ReadonlyMap<string, ReferenceProfile>,
  columns: ReadonlyMap<string, WindowCounters>,
  baselineMetrics: Record<string, number>,
): Evaluated[] {
  const evaluated: Evaluated[] = [];
  for (const index of indexes) {
    for (const { value, key, records } of index.values) {
      const column = (name: string) => segmentColumn(index.feature, key, name);
      const drift = featureDrift(
        model,
        (name) => profiles.get(column(name)),
        (name) => columns.get(column(name)),
      );
      // The model's dataset rule, share or false discovery rate, applies to each segment alone.
      const rule = datasetRuleOf(model);
      const verdict = applyDatasetRule(drift.columns, rule);
      const dataset = verdict.dataset;
      const samples = rows(columns.get(column(PREDICTION_COLUMN)));
      const fromActuals = performanceFromActuals(model, columns.get(column(PERFORMANCE_COLUMN)) ?? {});
      const checks = checkThresholds(model, fromActuals.metrics, baselineMetrics).filter(
        (check) => Object.hasOwn(fromActuals.metrics, check.metric) && check.ok === false,
      );
      const name = `${index.feature}=${cut(value, SEGMENT_VALUE_LENGTH)}`;
      const reasons: string[] = [];
      let status: EvaluationStatus;
      if (samples < model.schedule.minSamples || records === 0) status = 'insufficient_data';
      else {
        const drifted = drift.columns.filter((c) => c.drifted).sort((a, b) => severity(b) - severity(a));
        if (dataset.drifted && rule.rule === 'fdr')
          reasons.push(`${name}: ${fdrReason(verdict.columns, dataset)}`);
        else if (dataset.drifted) {
          const shown = drifted.slice(0, 3).map(driftReason).join(', ');
          reasons.push(
            `${name}: data drift in ${dataset.driftedColumns} of ${dataset.columns} features: ${shown}${drifted.length > 3 ? ', …' : ''}`,
          );
        }
        for (const check of checks) if (check.reason) reasons.push(`${name}: ${check.reason}`);
        status = reasons.length > 0 ? 'breach' : 'ok';
      }
      const drifted = drift.columns
        .filter((c) => c.drifted)
        .sort((a, b) => severity(b) - severity(a))
        .slice(0, LISTED_DRIFTED)
        .map((c) => ({ name: c.name, method: c.method, score: c.score, threshold: c.threshold }));
      evaluated.push({
        entry: {
          feature: index.feature,
          value: cut(value, SEGMENT_VALUE_LENGTH),
          samples,
          referenceRecords: records,
          status,
          dataset,
          drifted,
          columns: verdict.columns,
          performance: { samples: fromActuals.samples, metrics: fromActuals.metrics },
        },
        reasons: reasons.map((reason) => cut(reason, REASON_CHARS)),
      });
    }
  }
  evaluated.sort(
    (a, b) =>
      STATUS_ORDER[a.entry.status] - STATUS_ORDER[b.entry.status] ||
      b.entry.samples - a.entry.samples ||
      compareCodePoints(a.entry.feature, b.entry.feature) ||
      compareCodePoints(a.entry.value, b.entry.value),
  );
  return evaluated;
}

/**
 * The segments as stored: every summary that fits {@link SEGMENT_BYTES} in order, then, in the
 * same order, each one's drifted columns and then its full columns while they fit.
 */
function bounded(entries: readonly Evaluated['entry'][]): SegmentEvaluation[] {
  const out: SegmentEvaluation[] = [];
  let size = 2;
  for (const { columns: _columns, drifted: _drifted, ...summary } of entries) {
    const added = bytes(summary) + 1;
    if (size + added > SEGMENT_BYTES) break;
    out.push(summary);
    size += added;
  }
  for (const field of ['drifted', 'columns'] as const) {
    out.forEach((_summary, i) => {
      const detail = (entries[i] as Evaluated['entry'])[field];
      const added = bytes(detail) + field.length + 4;
      if (size + added > SEGMENT_BYTES) return;
      out[i] = { ...out[i], [field]: detail } as SegmentEvaluation;
      size += added;
    });
  }
  return out;
}
