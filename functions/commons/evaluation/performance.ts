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
  /** classification only: per class. */
  readonly classes?: Record<string, ClassMetrics>;
}

const ratio = (a: number, b: number) => (b === 0 ? null : a / b);

/**
 * Accuracy, precision, recall and F1 per class and macro-averaged (classification, from the
 * confusion counters `cm:["actual","predicted"]`), or MAE and RMSE (regression, from the exact
 * sums of absolute and squared errors, telemetry/exact.ts).
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
  const cells: { actual: string; predicted: string; count: number }[] = [];
  for (const [key, count] of Object.entries(counters)) {
    if (!key.startsWith('cm:')) continue;
    const [actual, predicted] = JSON.parse(key.slice(3)) as [string, string];
    cells.push({ actual, predicted, count });
  }
  const labels = [...new Set(cells.flatMap((c) => [c.actual, c.predicted]))].sort();
  const sum = (pick: (c: (typeof cells)[number]) => boolean) =>
    cells.filter(pick).reduce((n, c) => n + c.count, 0);
  // Labels are whatever the model predicts: keys defined, never assigned (a label "__proto__").
  const perLabel: [string, ClassMetrics][] = [];
  for (const label of labels) {
    const tp = sum((c) => c.actual === label && c.predicted === label);
    const predicted = sum((c) => c.predicted === label);
    const actual = sum((c) => c.actual === label);
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, actual);
    const f1 =
      precision === null || recall === null
        ? null
        : precision + recall === 0
          ? 0
          : (2 * precision * recall) / (precision + recall);
    perLabel.push([label, { precision, recall, f1, support: actual }]);
  }
  const classes: Record<string, ClassMetrics> = Object.fromEntries(perLabel);
  const macro = (pick: (m: ClassMetrics) => number | null) => {
    const values = Object.values(classes)
      .map(pick)
      .filter((v): v is number => v !== null);
    return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
  };
  const correct = sum((c) => c.actual === c.predicted);
  return {
    samples,
    metrics: {
      accuracy: ratio(correct, samples),
      precision: macro((m) => m.precision),
      recall: macro((m) => m.recall),
      f1: macro((m) => m.f1),
    },
    classes,
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
