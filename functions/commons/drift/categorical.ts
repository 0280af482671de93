import gammainc from '@stdlib/math-base-special-gammainc';
import { type BinnedStats, binnedStats } from './binned.ts';
import type { CategoryTable } from './category-table.ts';
import { npSum } from './numpy.ts';

export { type CategoryTable, categoryTable } from './category-table.ts';

/** `scipy.stats.chi2_contingency(table, correction=False)` on a 2 × K table. */
export interface ChiSquareResult {
  statistic: number;
  pValue: number;
  dof: number;
}

export interface CategoricalStats extends BinnedStats {
  chiSquare: ChiSquareResult;
  newCategories: string[];
  missingCategories: string[];
  /**
   * How many new and missing categories there are, where the lists above name only some of them
   * (a stored evaluation lists the most common few).
   */
  newCategoryCount?: number;
  missingCategoryCount?: number;
}

/** The statistics of a categorical column, both sides holding at least one value. */
export function categoricalStats(table: CategoryTable): CategoricalStats {
  const { categories, reference, current } = table;
  return {
    chiSquare: chiSquareHomogeneity(reference, current),
    ...binnedStats(reference, current),
    newCategories: categories.filter((_, i) => reference[i] === 0),
    missingCategories: categories.filter((_, i) => current[i] === 0),
  };
}

/**
 * Pearson's chi-square test of homogeneity on the 2 × K table [reference; current], exactly as
 * `chi2_contingency(table, correction=False)` with `power_divergence(lambda_="pearson")`:
 * expected = row sum · column sum / total, statistic = Σ (observed − expected)² / expected summed
 * row-major, dof = K − 1, p = `chi2.sf(statistic, dof)` = Q(dof/2, statistic/2), the regularised
 * upper incomplete gamma function. With K = 1 the statistic is 0 and the p-value 1.
 */
export function chiSquareHomogeneity(
  reference: readonly number[],
  current: readonly number[],
): ChiSquareResult {
  const k = reference.length;
  const dof = k - 1;
  if (dof === 0) return { statistic: 0.0, pValue: 1.0, dof };
  const rows = [reference, current];
  const rowSums = rows.map((row) => npSum(row));
  const total = npSum([...reference, ...current]);
  const terms = new Float64Array(2 * k);
  for (let r = 0; r < 2; r++) {
    const row = rows[r] as readonly number[];
    for (let j = 0; j < k; j++) {
      const columnSum = (reference[j] as number) + (current[j] as number);
      const expected = ((rowSums[r] as number) * columnSum) / total;
      const diff = (row[j] as number) - expected;
      terms[r * k + j] = (diff * diff) / expected;
    }
  }
  const statistic = npSum(terms);
  return { statistic, pValue: gammainc(statistic / 2, dof / 2, true, true), dof };
}
