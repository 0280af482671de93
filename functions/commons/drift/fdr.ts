import { DriftInputError, datasetDrift } from './methods.ts';
import type { ColumnDrift, DatasetDrift } from './types.ts';

/**
 * Dataset drift that controls false alarms (docs/drift.md, "False discovery rate"): the
 * Benjamini–Hochberg procedure over the per-column p-values, and the rule that decides dataset
 * drift (`share`, the share of drifted columns, or `fdr`).
 */

/** How the dataset verdict is reached from the columns. */
export type DatasetRule = { rule: 'share'; share: number } | { rule: 'fdr'; alpha: number };

/** The default false discovery rate of the `fdr` rule. */
export const DEFAULT_FDR_ALPHA = 0.05;

/**
 * Benjamini–Hochberg adjusted p-values, in the order given: with the m valid p-values sorted
 * ascending, p₍ᵢ₎ at rank i, the adjusted value is min over k ≥ i of m·p₍ₖ₎/k, capped at 1 (the
 * monotone step-up adjustment; tied p-values get the same adjusted value). A missing p-value
 * (null, undefined, NaN) is no hypothesis: it is left out of m and its adjusted value is null.
 * A p-value outside [0, 1] throws {@link DriftInputError}.
 */
export function benjaminiHochberg(pValues: readonly (number | null | undefined)[]): (number | null)[] {
  const valid: number[] = [];
  pValues.forEach((p, i) => {
    if (p === null || p === undefined || Number.isNaN(p)) return;
    if (!(p >= 0 && p <= 1)) throw new DriftInputError(`p-value ${p} at position ${i} is not in [0, 1]`);
    valid.push(i);
  });
  const out: (number | null)[] = pValues.map(() => null);
  const m = valid.length;
  // Ascending p-values; equal ones keep their order (their adjusted values are equal anyway).
  valid.sort((a, b) => (pValues[a] as number) - (pValues[b] as number) || a - b);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const index = valid[rank - 1] as number;
    running = Math.min(running, ((pValues[index] as number) * m) / rank);
    out[index] = running;
  }
  return out;
}

/** The p-value a column's hypothesis test gives: KS for numerical, chi-square for categorical. */
export function columnPValue(column: ColumnDrift): number | null {
  if (column.stats === null) return null;
  return column.type === 'numerical'
    ? (column.stats as { ks: { pValue: number } }).ks.pValue
    : (column.stats as { chiSquare: { pValue: number } }).chiSquare.pValue;
}

/** Checks a rule's number: a share or an alpha in [0, 1] (alpha above 0). */
function checkRule(rule: DatasetRule): void {
  if (rule.rule === 'fdr') {
    if (!(Number.isFinite(rule.alpha) && rule.alpha > 0 && rule.alpha <= 1)) {
      throw new DriftInputError('alpha must be a number above 0 and at most 1');
    }
  } else if (rule.rule !== 'share') {
    throw new DriftInputError(`unknown dataset rule "${(rule as { rule: unknown }).rule}"`);
  }
}

/**
 * The dataset verdict under a rule. `share`: {@link datasetDrift}, columns unchanged. `fdr`: each
 * column gains `adjustedPValue` (null for a column without data), and the data set drifts when
 * Benjamini–Hochberg rejects any hypothesis at `alpha` (an adjusted p-value ≤ alpha); the
 * dataset block keeps the share of drifted columns for information and adds `rule`, `alpha` and
 * `rejectedColumns`.
 */
export function applyDatasetRule(
  columns: readonly ColumnDrift[],
  rule: DatasetRule,
): { columns: ColumnDrift[]; dataset: DatasetDrift } {
  checkRule(rule);
  if (rule.rule === 'share') return { columns: [...columns], dataset: datasetDrift(columns, rule.share) };
  const adjusted = benjaminiHochberg(columns.map(columnPValue));
  const withAdjusted = columns.map((column, i) => ({ ...column, adjustedPValue: adjusted[i] ?? null }));
  const rejectedColumns = adjusted.filter((q) => q !== null && q <= rule.alpha).length;
  return {
    columns: withAdjusted,
    dataset: {
      ...datasetDrift(columns),
      drifted: rejectedColumns > 0,
      rule: 'fdr',
      alpha: rule.alpha,
      rejectedColumns,
    },
  };
}
