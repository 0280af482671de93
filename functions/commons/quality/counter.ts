import type { WindowCounters } from '#drift/profile';
import { categoryOf, isMissing, numericValue } from '#drift/values';
import type { QualityRule } from './rules.ts';

/** The delta column of a feature's data-quality counts. */
export const qualityColumn = (feature: string) => `@quality#${feature}`;

/**
 * Counts one feature's values of a batch against its rule, exactly, for the `@quality#<feature>`
 * column of the batch's delta: `rows`, `missing`, and the non-missing values `belowMin`
 * (< min), `aboveMax` (> max) or `notAllowed` (not among `allowed`, compared as text). Only
 * non-zero counts besides `rows` are written. Missing values and new categories are counted by
 * the feature's drift counters already (docs/drift.md, "Data-quality rules").
 */
export class QualityCounter {
  private rows = 0;
  private missing = 0;
  private belowMin = 0;
  private aboveMax = 0;
  private notAllowed = 0;
  private readonly allowed: ReadonlySet<string> | undefined;

  constructor(
    private readonly rule: QualityRule,
    private readonly type: 'numerical' | 'categorical',
  ) {
    this.allowed = rule.allowed ? new Set(rule.allowed) : undefined;
  }

  add(value: unknown): void {
    this.rows++;
    if (isMissing(value)) {
      this.missing++;
      return;
    }
    if (this.type === 'numerical') {
      const number = numericValue(value);
      // Ingestion accepts only numbers in a numerical feature; anything else is missing, as in drift.
      if (Number.isNaN(number)) {
        this.missing++;
        return;
      }
      if (this.rule.min !== undefined && number < this.rule.min) this.belowMin++;
      else if (this.rule.max !== undefined && number > this.rule.max) this.aboveMax++;
      return;
    }
    if (this.allowed && !this.allowed.has(categoryOf(value))) this.notAllowed++;
  }

  counters(): WindowCounters {
    const out: WindowCounters = { rows: this.rows };
    if (this.missing > 0) out.missing = this.missing;
    if (this.belowMin > 0) out.belowMin = this.belowMin;
    if (this.aboveMax > 0) out.aboveMax = this.aboveMax;
    if (this.notAllowed > 0) out.notAllowed = this.notAllowed;
    return out;
  }
}
