import type { WindowCounters } from '#drift/profile';
import type { ModelRecord } from '../registry/store.ts';
import { exactQuotient, exactSqrtQuotient, readLimbs } from '../telemetry/exact.ts';

export interface ClassMetrics {
  readonly precision: number | null;
  readonly recall: number | null;
  readonly f1: number | null;
  readonly support: number;
}

/** Performance of a window from the actuals joined to its predictions. */
export interface PerformanceFromActuals {
  /** Prediction–actual pairs joined in the window. */
  readonly samples: number;
  /** classification: accuracy, precision, recall and f1 (macro); regression: mae, rmse. Null without samples. */
  readonly metrics: Record<string, number | null>;
  /** classification only: per class, the {@link LISTED_CLASSES} with the most support. */
  readonly classes?: Record<string, ClassMetrics>;
  /** classification only: how many classes the window has (the macro averages take them all). */
  readonly classCount?: number;
}

const ratio = (a: number, b: number) => (b === 0 ? null : a / b);

/** Classes an evaluation lists by name (most support first); the macro averages use them all. */
export const LISTED_CLASSES = 20;

/**
 * Accuracy, precision, recall and F1 per class and macro-averaged (classification), or MAE and
 * RMSE (regression, from the exact sums of absolute and squared errors, telemetry/exact.ts).
 * Classification counters are per class: `a:<label>` actuals, `p:<label>` predictions,
 * `tp:<label>` both, and `correct` (ingest.ts `performanceCounters`); confusion cells
 * `cm:["actual","predicted"]` written before them are read too.
 */
export function performanceFromActuals(model: ModelRecord, counters: WindowCounters): PerformanceFromActuals {
  const samples = counters.n ?? 0;
  if (model.task === 'regression') {
    return {
      samples,
      metrics: {
        mae: samples === 0 ? null : exactQuotient(readLimbs(counters, 'ae'), samples),
        rmse: samples === 0 ? null : exactSqrtQuotient(readLimbs(counters, 'se'), samples),
      },
    };
  }
  const actual = new Map<string, number>();
  const predicted = new Map<string, number>();
  const truePositives = new Map<string, number>();
  let correct = counters.correct ?? 0;
  const add = (map: Map<string, number>, label: string, count: number) =>
    map.set(label, (map.get(label) ?? 0) + count);
  for (const [key, count] of Object.entries(counters)) {
    if (key.startsWith('a:')) add(actual, key.slice(2), count);
    else if (key.startsWith('p:')) add(predicted, key.slice(2), count);
    else if (key.startsWith('tp:')) add(truePositives, key.slice(3), count);
    else if (key.startsWith('cm:')) {
      const [a, p] = JSON.parse(key.slice(3)) as [string, string];
      add(actual, a, count);
      add(predicted, p, count);
      if (a === p) {
        add(truePositives, a, count);
        correct += count;
      }
    }
  }
  const labels = [...new Set([...actual.keys(), ...predicted.keys()])].sort();
  const all = labels.map((label) => {
    const tp = truePositives.get(label) ?? 0;
    const precision = ratio(tp, predicted.get(label) ?? 0);
    const recall = ratio(tp, actual.get(label) ?? 0);
    const f1 =
      precision === null || recall === null
        ? null
        : precision + recall === 0
          ? 0
          : (2 * precision * recall) / (precision + recall);
    return { label, metrics: { precision, recall, f1, support: actual.get(label) ?? 0 } };
  });
  const macro = (pick: (m: ClassMetrics) => number | null) => {
    const values = all.map((c) => pick(c.metrics)).filter((v): v is number => v !== null);
    return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
  };
  const shown = [...all]
    .sort(
      (x, y) =>
        y.metrics.support - x.metrics.support ||
        (predicted.get(y.label) ?? 0) - (predicted.get(x.label) ?? 0) ||
        (x.label < y.label ? -1 : x.label > y.label ? 1 : 0),
    )
    .slice(0, LISTED_CLASSES);
  const classes: Record<string, ClassMetrics> = Object.create(null);
  for (const { label, metrics } of all) if (shown.some((c) => c.label === label)) classes[label] = metrics;
  return {
    samples,
    metrics: {
      accuracy: ratio(correct, samples),
      precision: macro((m) => m.precision),
      recall: macro((m) => m.recall),
      f1: macro((m) => m.f1),
    },
    classes,
    classCount: all.length,
  };
}

export interface ThresholdCheck {
  readonly metric: string;
  readonly value: number | null;
  readonly baseline?: number;
  readonly min?: number;
  readonly max?: number;
  readonly maxRelativeDrop?: number;
  /** False when the value breaks a bound; null when the window has no value for the metric. */
  readonly ok: boolean | null;
  readonly reason?: string;
}

const fmt = (x: number) => Number(x.toPrecision(4)).toString();

/**
 * Checks each bounded metric of the model's thresholds: the window's value against `min` and
 * `max`, and its drop relative to the baseline's value against `maxRelativeDrop` (for metrics
 * where higher is better). A metric without a value in the window is reported, not failed.
 */
export function checkThresholds(
  model: ModelRecord,
  values: Record<string, number | null>,
  baselineMetrics: Record<string, number>,
): ThresholdCheck[] {
  return Object.entries(model.thresholds.performance).map(([metric, bound]) => {
    const value = values[metric] ?? null;
    const baseline = baselineMetrics[metric];
    const base = {
      metric,
      value,
      ...(baseline !== undefined ? { baseline } : {}),
      ...(bound.min !== undefined ? { min: bound.min } : {}),
      ...(bound.max !== undefined ? { max: bound.max } : {}),
      ...(bound.maxRelativeDrop !== undefined ? { maxRelativeDrop: bound.maxRelativeDrop } : {}),
    };
    if (value === null) return { ...base, ok: null, reason: `${metric}: no data in the window` };
    if (bound.min !== undefined && value < bound.min) {
      return { ...base, ok: false, reason: `${metric} ${fmt(value)} is below the minimum ${fmt(bound.min)}` };
    }
    if (bound.max !== undefined && value > bound.max) {
      return { ...base, ok: false, reason: `${metric} ${fmt(value)} is above the maximum ${fmt(bound.max)}` };
    }
    if (bound.maxRelativeDrop !== undefined && baseline !== undefined && baseline > 0) {
      const drop = (baseline - value) / baseline;
      if (drop > bound.maxRelativeDrop) {
        return {
          ...base,
          ok: false,
          reason: `${metric} ${fmt(value)} dropped ${fmt(drop * 100)}% from the baseline ${fmt(baseline)} (more than ${fmt(bound.maxRelativeDrop * 100)}%)`,
        };
      }
    }
    return { ...base, ok: true };
  });
}
