import type { WindowCounters } from '#drift/profile';
import { checkThresholds } from '../evaluation/performance.ts';
import type { EvaluationRecord } from '../evaluation/store.ts';
import type { BaselineRecord } from '../registry/baselines.ts';
import type { ModelRecord } from '../registry/store.ts';
import { CBPE_COLUMN } from './counters.ts';
import {
  type BinaryMetrics,
  ESTIMATED_METRICS,
  type EstimatedMetric,
  type EstimatedPerformance,
  estimateError,
  estimateMetrics,
  realisedMetrics,
} from './estimate.ts';

/**
 * The estimated performance of a window (docs/drift.md, "Estimated performance"), when its
 * baseline has a calibration: the estimate from the window's `@cbpe` counters, the realised
 * metrics of the positive class once actuals are joined and the estimate's error, and the
 * `thresholds.estimatedPerformance` checks (relative drops measured from the baseline's metrics).
 */
export function estimatedPerformance(
  model: ModelRecord,
  baseline: BaselineRecord | undefined,
  window: { readonly columns: ReadonlyMap<string, WindowCounters>; readonly performance: WindowCounters },
): EstimatedPerformance | undefined {
  const calibration = baseline?.calibration;
  if (!calibration) return undefined;
  const { samples, clipped, ...estimate } = estimateMetrics(
    calibration,
    window.columns.get(CBPE_COLUMN) ?? {},
  );
  const realised = realisedMetrics(calibration.positiveClass, window.performance);
  const bounds = model.thresholds.estimatedPerformance ?? {};
  const checks = checkThresholds(
    { ...model, thresholds: { ...model.thresholds, performance: bounds } },
    estimate,
    baseline?.metrics ?? {},
  ).map((check) => (check.reason ? { ...check, reason: `estimated ${check.reason}` } : check));
  return {
    ...estimate,
    samples,
    positiveClass: calibration.positiveClass,
    clipped,
    ...(realised ? { realised, error: estimateError(estimate, realised) } : {}),
    checks,
  };
}

/** The reasons an estimate breaches, each marked as estimated. */
export function estimatedReasons(estimate: EstimatedPerformance | undefined): string[] {
  return (estimate?.checks ?? []).filter((c) => c.ok === false && c.reason).map((c) => c.reason as string);
}

/** The model report's view of estimated performance over a period. */
export interface EstimatedPerformanceSummary {
  /** Evaluations with an estimate, and those of them with actuals joined. */
  readonly evaluations: number;
  readonly withActuals: number;
  /** Per metric, the mean absolute error of the estimate over the evaluations with actuals. */
  readonly meanAbsoluteError: Record<EstimatedMetric, number | null>;
  /** The latest evaluation's estimate beside its realised values, and the error. */
  readonly latest: {
    readonly evaluationId: string;
    readonly windowEnd: string;
    readonly estimated: BinaryMetrics & { readonly samples: number };
    readonly realised?: BinaryMetrics & { readonly samples: number };
    readonly error?: BinaryMetrics;
  };
}

/** Estimated against realised performance over `evaluations`, or undefined when none has an estimate. */
export function summariseEstimates(
  evaluations: readonly EvaluationRecord[],
): EstimatedPerformanceSummary | undefined {
  const estimated = evaluations
    .filter((e) => e.estimatedPerformance)
    .sort((a, b) => a.windowEnd.localeCompare(b.windowEnd));
  const last = estimated[estimated.length - 1];
  if (!last?.estimatedPerformance) return undefined;
  const errors = estimated.flatMap((e) =>
    e.estimatedPerformance?.error ? [e.estimatedPerformance.error] : [],
  );
  const meanAbsoluteError = Object.fromEntries(
    ESTIMATED_METRICS.map((metric) => {
      const values = errors.map((e) => e[metric]).filter((v): v is number => v !== null);
      return [metric, values.length ? values.reduce((a, v) => a + Math.abs(v), 0) / values.length : null];
    }),
  ) as Record<EstimatedMetric, number | null>;
  const { accuracy, precision, recall, f1, samples, realised, error } = last.estimatedPerformance;
  return {
    evaluations: estimated.length,
    withActuals: errors.length,
    meanAbsoluteError,
    latest: {
      evaluationId: last.evaluationId,
      windowEnd: last.windowEnd,
      estimated: { accuracy, precision, recall, f1, samples },
      ...(realised ? { realised } : {}),
      ...(error ? { error } : {}),
    },
  };
}
