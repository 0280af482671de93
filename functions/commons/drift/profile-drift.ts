import { type CategoricalStats, categoricalStats } from './categorical.ts';
import { categoryTable } from './category-table.ts';
import { columnResult, resolveMethod, sideSummary } from './methods.ts';
import {
  type CategoricalProfile,
  categoricalWindow,
  numericalEstimates,
  numericalWindow,
  OTHER_CATEGORY,
  type ReferenceProfile,
  referenceCounts,
  type WindowCounters,
} from './profile.ts';
import type { ColumnDrift, MethodChoice } from './types.ts';

// The drift of a profile, apart from `profile.ts` (fitting and counting), so that ingestion,
// which counts, does not load the statistics the tests need (the chi-square p-value).

export interface EvaluateOptions {
  method?: MethodChoice['method'];
  threshold?: number;
}

/** The drift of one column from its reference profile and a window's counters. */
export function evaluateProfile(
  name: string,
  ref: ReferenceProfile,
  window: WindowCounters,
  options: EvaluateOptions = {},
): ColumnDrift {
  const choice = options.method ? { method: options.method, threshold: options.threshold } : undefined;
  const method = resolveMethod(name, ref.type, ref.count, choice);
  const reference = sideSummary(ref.count, ref.missing);
  if (ref.type === 'numerical') {
    const current = numericalWindow(ref, window);
    const summary = sideSummary(current.count, window.miss ?? 0);
    const stats = ref.count === 0 || current.count === 0 ? null : numericalEstimates(ref, current);
    return columnResult(name, 'numerical', reference, summary, method, stats);
  }
  const current = categoricalWindow(ref, window);
  const summary = sideSummary(current.count, window.miss ?? 0);
  const stats = ref.count === 0 || current.count === 0 ? null : profileCategoricalStats(ref, current.counts);
  return columnResult(name, 'categorical', reference, summary, method, stats);
}

function profileCategoricalStats(ref: CategoricalProfile, current: Map<string, number>): CategoricalStats {
  const stats = categoricalStats(categoryTable(referenceCounts(ref), current));
  const notOther = (c: string) => c !== OTHER_CATEGORY;
  return {
    ...stats,
    newCategories: stats.newCategories.filter(notOther),
    missingCategories: stats.missingCategories.filter(notOther),
  };
}
