/**
 * Data-quality rules of a model's features (docs/drift.md, "Data-quality rules"): what a rule
 * may say, and the checks of a rule against the feature's type. The zod shape is in
 * registry/schema.ts (`qualityRuleSchema`), which calls {@link qualityRuleIssues}.
 */

/** A feature's data-quality rule, as registered. Shares are in [0, 1]. */
export interface QualityRule {
  /** Numerical: a value below is out of range. */
  min?: number;
  /** Numerical: a value above is out of range. */
  max?: number;
  /** Categorical: the values accepted (compared as text, as categories are). */
  allowed?: string[];
  maxMissingShare?: number;
  /** Largest share of non-missing values out of range (min/max) or not allowed; 0 by default. */
  maxOutOfRangeShare?: number;
  /** Categorical: largest share of non-missing values in categories the baseline does not have. */
  maxNewCategoryShare?: number;
}

/** Values in one feature's `allowed`. */
export const MAX_ALLOWED_VALUES = 100;
/** Longest allowed value: as long as a category may be (telemetry/records.ts). */
export const MAX_ALLOWED_LENGTH = 256;
/** Characters of every `allowed` value of a model together: bounds the model item (~50 KB at worst). */
export const MAX_ALLOWED_CHARACTERS = 8192;

interface FeatureWithRule {
  name?: unknown;
  type?: unknown;
  quality?: QualityRule;
}

/**
 * What is wrong with the features' rules: a rule that does not fit the feature's type, min above
 * max, an out-of-range limit without a range, and more allowed text than a model may hold. Paths
 * are relative to the model.
 */
export function qualityRuleIssues(
  features: readonly FeatureWithRule[],
): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  let characters = 0;
  features.forEach((feature, i) => {
    const rule = feature?.quality;
    if (!rule || typeof rule !== 'object') return;
    const at = (field: string, message: string) =>
      issues.push({ path: ['features', i, 'quality', field], message });
    if (feature.type === 'numerical') {
      if (rule.allowed !== undefined) at('allowed', 'applies to categorical features; use min and max');
      if (rule.maxNewCategoryShare !== undefined)
        at('maxNewCategoryShare', 'applies to categorical features');
    } else if (feature.type === 'categorical') {
      if (rule.min !== undefined) at('min', 'applies to numerical features; use allowed');
      if (rule.max !== undefined) at('max', 'applies to numerical features; use allowed');
    }
    if (typeof rule.min === 'number' && typeof rule.max === 'number' && rule.min > rule.max) {
      at('max', `must be at least min (${rule.min})`);
    }
    if (
      rule.maxOutOfRangeShare !== undefined &&
      rule.min === undefined &&
      rule.max === undefined &&
      rule.allowed === undefined
    ) {
      at('maxOutOfRangeShare', 'give min or max (numerical) or allowed (categorical) for it to apply to');
    }
    for (const value of Array.isArray(rule.allowed) ? rule.allowed : []) {
      characters += typeof value === 'string' ? value.length : 0;
    }
    if (characters > MAX_ALLOWED_CHARACTERS && Array.isArray(rule.allowed)) {
      at('allowed', `the allowed values of a model take at most ${MAX_ALLOWED_CHARACTERS} characters in all`);
      characters = Number.NEGATIVE_INFINITY; // reported once
    }
  });
  return issues;
}

/** Whether the rule needs counts the drift counters do not have: a range or allowed values. */
export function countsAtIngest(rule: QualityRule | undefined): boolean {
  return (
    rule !== undefined && (rule.min !== undefined || rule.max !== undefined || rule.allowed !== undefined)
  );
}
