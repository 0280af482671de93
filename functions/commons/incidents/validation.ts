import type { ValidationCheck, ValidationReport } from './types.ts';

/** A performance bound of the model registry: `{min?, max?, maxRelativeDrop?}` per metric. */
export interface PerformanceBound {
  readonly min?: number;
  readonly max?: number;
  /** Largest accepted drop relative to production's value, e.g. 0.05 for 5 %. */
  readonly maxRelativeDrop?: number;
}

export interface ValidationInput {
  readonly candidate: { readonly version: string; readonly metrics: Record<string, number> };
  readonly production: { readonly version: string; readonly metrics: Record<string, number> };
  readonly thresholds: Record<string, PerformanceBound>;
  readonly checkedAt: string;
}

/** Room for floating-point noise in metrics computed elsewhere. */
const EPSILON = 1e-12;

/**
 * The automated re-validation of a candidate (SOP 6.4.3):
 * 1. every metric the model has a threshold for must be reported by the candidate;
 * 2. it must lie within the threshold's `min` and `max`;
 * 3. it must not drop below production's value by more than `maxRelativeDrop` (relative to
 *    production's value; not applicable when production has no value or a value of 0).
 * The candidate passes when every check passes. Metrics without a threshold are compared side by
 * side for the record and decide nothing.
 */
export function validateCandidate(input: ValidationInput): ValidationReport {
  const { candidate, production, thresholds } = input;
  const checks: ValidationCheck[] = [];
  for (const [metric, bound] of Object.entries(thresholds).sort(([a], [b]) => a.localeCompare(b))) {
    const actual = candidate.metrics[metric];
    if (actual === undefined) {
      checks.push({
        metric,
        rule: 'present',
        passed: false,
        message: `the candidate does not report ${metric}`,
      });
      continue;
    }
    if (bound.min !== undefined) {
      const passed = actual >= bound.min - EPSILON;
      checks.push({
        metric,
        rule: 'min',
        limit: bound.min,
        actual,
        passed,
        message: `${metric} ${actual} ${passed ? '≥' : '<'} minimum ${bound.min}`,
      });
    }
    if (bound.max !== undefined) {
      const passed = actual <= bound.max + EPSILON;
      checks.push({
        metric,
        rule: 'max',
        limit: bound.max,
        actual,
        passed,
        message: `${metric} ${actual} ${passed ? '≤' : '>'} maximum ${bound.max}`,
      });
    }
    if (bound.maxRelativeDrop !== undefined) {
      const baseline = production.metrics[metric];
      if (baseline === undefined || baseline === 0) {
        checks.push({
          metric,
          rule: 'maxRelativeDrop',
          limit: bound.maxRelativeDrop,
          actual,
          passed: true,
          message: `production ${production.version} has no ${baseline === 0 ? 'non-zero ' : ''}${metric} to compare with`,
        });
      } else {
        const drop = (baseline - actual) / Math.abs(baseline);
        const passed = drop <= bound.maxRelativeDrop + EPSILON;
        checks.push({
          metric,
          rule: 'maxRelativeDrop',
          limit: bound.maxRelativeDrop,
          actual,
          baseline,
          passed,
          message: `${metric} ${drop > 0 ? `drops ${percent(drop)}` : `rises ${percent(-drop)}`} from production's ${baseline} (at most ${percent(bound.maxRelativeDrop)} drop accepted)`,
        });
      }
    }
  }
  const metrics = [
    ...new Set([...Object.keys(candidate.metrics), ...Object.keys(production.metrics)]),
  ].sort();
  return {
    candidateVersion: candidate.version,
    productionVersion: production.version,
    passed: checks.every((check) => check.passed),
    checks,
    comparison: metrics.map((metric) => ({
      metric,
      ...(candidate.metrics[metric] !== undefined ? { candidate: candidate.metrics[metric] } : {}),
      ...(production.metrics[metric] !== undefined ? { production: production.metrics[metric] } : {}),
    })),
    checkedAt: input.checkedAt,
  };
}

function percent(share: number): string {
  return `${Number((share * 100).toFixed(2))} %`;
}
