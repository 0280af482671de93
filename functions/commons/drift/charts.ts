import type { CategoryTable } from './categorical.ts';
import type { ColumnType } from './types.ts';
import { compareCodePoints } from './values.ts';

/** One bar pair of a column's chart: a bin or category with each side's share of values. */
export interface ChartBin {
  label: string;
  reference: number;
  current: number;
}

/** What the HTML report draws for a column: the two distributions over the same bins. */
export interface ColumnChart {
  column: string;
  type: ColumnType;
  bins: ChartBin[];
}

/** Categorical charts show this many categories, the rest as one "other" bar. */
export const MAX_CHART_CATEGORIES = 20;

/** The chart of a numerical column over its drift bins (edges as fitted; counts per bin). */
export function numericalChart(
  column: string,
  edges: readonly number[],
  referenceCounts: readonly number[],
  currentCounts: readonly number[],
): ColumnChart {
  const inner = edges.slice(1, -1);
  const labels =
    inner.length === 0
      ? ['all values']
      : [
          `< ${formatEdge(inner[0] as number)}`,
          ...inner.slice(1).map((edge, i) => `${formatEdge(inner[i] as number)} – ${formatEdge(edge)}`),
          `≥ ${formatEdge(inner[inner.length - 1] as number)}`,
        ];
  return { column, type: 'numerical', bins: withShares(labels, referenceCounts, currentCounts) };
}

/** The chart of a categorical column: the most common categories, then one bar for the rest. */
export function categoricalChart(
  column: string,
  table: CategoryTable,
  maxBars = MAX_CHART_CATEGORIES,
): ColumnChart {
  const bins = withShares(table.categories, table.reference, table.current);
  if (bins.length <= maxBars) return { column, type: 'categorical', bins };
  const ranked = [...bins].sort(
    (a, b) =>
      Math.max(b.reference, b.current) - Math.max(a.reference, a.current) ||
      compareCodePoints(a.label, b.label),
  );
  const shown = ranked.slice(0, maxBars - 1);
  const rest = ranked.slice(maxBars - 1);
  const other: ChartBin = {
    label: `other (${rest.length} categories)`,
    reference: rest.reduce((sum, bin) => sum + bin.reference, 0),
    current: rest.reduce((sum, bin) => sum + bin.current, 0),
  };
  return { column, type: 'categorical', bins: [...shown, other] };
}

function withShares(
  labels: readonly string[],
  reference: readonly number[],
  current: readonly number[],
): ChartBin[] {
  const referenceTotal = reference.reduce((sum, c) => sum + c, 0);
  const currentTotal = current.reduce((sum, c) => sum + c, 0);
  return labels.map((label, i) => ({
    label,
    reference: referenceTotal === 0 ? 0 : (reference[i] as number) / referenceTotal,
    current: currentTotal === 0 ? 0 : (current[i] as number) / currentTotal,
  }));
}

/** An edge with four significant digits, for labels. */
export function formatEdge(x: number): string {
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 1e6 || abs < 1e-3) return x.toExponential(3).replace(/\.?0+e/, 'e');
  return String(Number(x.toPrecision(4)));
}
