import { OTHER_CATEGORY, type ReferenceProfile, type WindowCounters } from '#drift/profile';
import { qualityColumn } from './counter.ts';
import type { QualityRule } from './rules.ts';

/**
 * One data-quality check of an evaluation. `value` is the observed share, `limit` the rule's;
 * `ok` is `value ≤ limit`. A check with nothing to judge has `value` and `ok` null and says why in
 * `skipped`: `no-values` (no values in the window), `not-counted` (the window's values arrived
 * before the rule asked for range or allowed counts), `untracked-categories` (the baseline
 * tracks only its most common categories, so a new one cannot be told from an untracked one).
 */
export interface QualityCheck {
  feature: string;
  check: 'range' | 'allowed' | 'missing' | 'newCategories';
  value: number | null;
  limit: number;
  ok: boolean | null;
  skipped?: 'no-values' | 'not-counted' | 'untracked-categories';
}

interface Feature {
  name: string;
  type: 'numerical' | 'categorical';
  quality?: QualityRule;
}

/** Non-missing values and missing ones in a feature's drift counters (profile.ts keys). */
function driftCounts(type: Feature['type'], counters: WindowCounters): { values: number; missing: number } {
  let values = 0;
  for (const [key, count] of Object.entries(counters)) {
    if (type === 'numerical' ? /^s\d+$/.test(key) : key.startsWith('c:')) values += count;
  }
  return { values, missing: counters.miss ?? 0 };
}

function judged(
  feature: string,
  check: QualityCheck['check'],
  count: number,
  of: number,
  limit: number,
): QualityCheck {
  if (of === 0) return { feature, check, value: null, limit, ok: null, skipped: 'no-values' };
  const value = count / of;
  return { feature, check, value, limit, ok: value <= limit };
}

/**
 * The data-quality checks of a window (docs/drift.md, "Data-quality rules"), per feature with a
 * rule, in feature order: `range` or `allowed` from the `@quality#<feature>` counts taken at
 * ingest (share of the non-missing values they counted), `missing` and `newCategories` from the
 * feature's drift counters, which count them exactly over the whole window (missing / rows, and
 * values in categories the baseline does not have / non-missing values).
 */
export function qualityChecks(
  features: readonly Feature[],
  profiles: ReadonlyMap<string, ReferenceProfile>,
  columns: ReadonlyMap<string, WindowCounters>,
): QualityCheck[] {
  const checks: QualityCheck[] = [];
  for (const { name, type, quality: rule } of features) {
    if (!rule) continue;
    const drift = driftCounts(type, columns.get(name) ?? {});
    const outOfRange = rule.maxOutOfRangeShare ?? 0;
    const ranged =
      type === 'numerical' ? rule.min !== undefined || rule.max !== undefined : rule.allowed !== undefined;
    if (ranged) {
      const check = type === 'numerical' ? 'range' : 'allowed';
      const counted = columns.get(qualityColumn(name));
      if (!counted?.rows) {
        const skipped = drift.values + drift.missing === 0 ? 'no-values' : 'not-counted';
        checks.push({ feature: name, check, value: null, limit: outOfRange, ok: null, skipped });
      } else {
        const bad =
          type === 'numerical'
            ? (counted.belowMin ?? 0) + (counted.aboveMax ?? 0)
            : (counted.notAllowed ?? 0);
        checks.push(judged(name, check, bad, counted.rows - (counted.missing ?? 0), outOfRange));
      }
    }
    if (rule.maxMissingShare !== undefined) {
      checks.push(judged(name, 'missing', drift.missing, drift.values + drift.missing, rule.maxMissingShare));
    }
    if (rule.maxNewCategoryShare !== undefined && type === 'categorical') {
      const profile = profiles.get(name);
      if (profile?.type !== 'categorical' || profile.categories.includes(OTHER_CATEGORY)) {
        checks.push({
          feature: name,
          check: 'newCategories',
          value: null,
          limit: rule.maxNewCategoryShare,
          ok: null,
          skipped: 'untracked-categories',
        });
        continue;
      }
      const known = new Set(profile.categories);
      let fresh = 0;
      for (const [key, count] of Object.entries(columns.get(name) ?? {})) {
        if (key.startsWith('c:') && !known.has(key.slice(2))) fresh += count;
      }
      checks.push(judged(name, 'newCategories', fresh, drift.values, rule.maxNewCategoryShare));
    }
  }
  return checks;
}

const WORDS: Record<QualityCheck['check'], string> = {
  range: 'out of range',
  allowed: 'not allowed',
  missing: 'missing',
  newCategories: 'in new categories',
};

const percent = (share: number) => `${Number((share * 100).toPrecision(3))}%`;

/** Failed checks a breach reason names; the rest are counted (the evaluation lists them all). */
export const NAMED_FAILURES = 10;

/**
 * The breach reason of the failed checks, one line however many failed (incidents copy reasons):
 * `quality: age out of range 3.1% > 0%`, further failures joined by `; `, past
 * {@link NAMED_FAILURES} counted as `and N more`. Empty when none failed.
 */
export function qualityReasons(checks: readonly QualityCheck[]): string[] {
  const failed = checks.filter((check) => check.ok === false);
  if (failed.length === 0) return [];
  const named = failed
    .slice(0, NAMED_FAILURES)
    .map((c) => `${c.feature} ${WORDS[c.check]} ${percent(c.value ?? 0)} > ${percent(c.limit)}`);
  const more = failed.length > NAMED_FAILURES ? `; and ${failed.length - NAMED_FAILURES} more` : '';
  return [`quality: ${named.join('; ')}${more}`];
}
