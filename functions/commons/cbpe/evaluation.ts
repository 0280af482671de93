import type { WindowCounters } from '#drift/profile';
import { checkThresholds } from '../evaluation/performance.ts';
import type { BaselineRecord } from '../registry/baselines.ts';
import type { ModelRecord } from '../registry/store.ts';
import { CBPE_COLUMN } from './counters.ts';
import { type EstimatedPerformance, estimateError, estimateMetrics, realisedMetrics } from './estimate.ts';

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
