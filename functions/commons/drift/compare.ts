import { countSortedIntoBins, DEFAULT_BINS, quantileEdges } from './binned.ts';
import { categoricalStats, categoryTable } from './categorical.ts';
import { type ColumnChart, categoricalChart, numericalChart } from './charts.ts';
import { applyDatasetRule, type DatasetRule } from './fdr.ts';
import { columnResult, DriftInputError, datasetDrift, resolveMethod, sideSummary } from './methods.ts';
import { compareNumericalInPlace } from './numerical.ts';
import { sortedCopy } from './sort.ts';
import type { ColumnDrift, ColumnType, DriftReport, MethodChoice, Row } from './types.ts';
import { categoryOf, isMissing, numericValue } from './values.ts';

export interface CompareOptions {
  /** The columns to compare, in this order (default: every column of either side, first seen first). */
  columns?: string[];
  /** Column types that override the inferred ones. */
  columnTypes?: Record<string, ColumnType>;
  /** Drift bins for psi/kl/jensenShannon/hellinger on numerical columns (default 10). */
  bins?: number;
  /** Method and threshold per column (default: the table of docs/drift.md). */
  methods?: Record<string, MethodChoice>;
  /** The share of drifted columns from which the data set drifts (default 0.5). */
  driftShare?: number;
  /** The dataset rule (fdr.ts); when given, it takes precedence over `driftShare`. */
  datasetRule?: DatasetRule;
  /** Called before each column is compared (1-based `index` of `total`), e.g. to show progress. */
  onColumn?: (name: string, index: number, total: number) => void;
}

export interface DriftAnalysis {
  report: DriftReport;
  /** One chart per column of the report, in the same order. */
  charts: ColumnChart[];
}

export { DEFAULT_BINS };

/** More distinct numbers than this (both sides together) make an all-numeric column numerical. */
const MAX_CATEGORICAL_DISTINCT_NUMBERS = 5;

/**
 * Compares two data sets column by column (docs/drift.md). Throws {@link DriftInputError} for
 * bad options or, in a column typed numerical by the caller, a value that is not a number.
 */
export function compareDatasets(
  reference: readonly Row[],
  current: readonly Row[],
  options: CompareOptions = {},
): DriftReport {
  return analyzeDatasets(reference, current, options).report;
}

/** {@link compareDatasets}, plus the chart data of every column for the HTML report. */
export function analyzeDatasets(
  reference: readonly Row[],
  current: readonly Row[],
  options: CompareOptions = {},
): DriftAnalysis {
  const bins = options.bins ?? DEFAULT_BINS;
  if (!Number.isInteger(bins) || bins < 1) throw new DriftInputError('bins must be a positive integer');
  const names = selectColumns(reference, current, options);

  const columns: ColumnDrift[] = [];
  const charts: ColumnChart[] = [];
  for (const [i, name] of names.entries()) {
    options.onColumn?.(name, i + 1, names.length);
    const referenceValues = reference.map((row) => row[name]);
    const currentValues = current.map((row) => row[name]);
    const type = options.columnTypes?.[name] ?? inferColumnType(referenceValues, currentValues);
    const analysis =
      type === 'numerical'
        ? analyzeNumerical(name, referenceValues, currentValues, bins, options.methods?.[name])
        : analyzeCategorical(name, referenceValues, currentValues, options.methods?.[name]);
    columns.push(analysis.column);
    charts.push(analysis.chart);
  }
  const verdict = options.datasetRule
    ? applyDatasetRule(columns, options.datasetRule)
    : { columns, dataset: datasetDrift(columns, options.driftShare) };
  return {
    report: {
      reference: { rows: reference.length },
      current: { rows: current.length },
      columns: verdict.columns,
      dataset: verdict.dataset,
    },
    charts,
  };
}

/**
 * A column is numerical when every non-missing value on both sides is a number and there are
 * more than 5 distinct numbers in all; otherwise categorical.
 */
export function inferColumnType(...sides: readonly (readonly unknown[])[]): ColumnType {
  const distinct = new Set<number>();
  for (const values of sides) {
    for (const value of values) {
      if (isMissing(value)) continue;
      const number = numericValue(value);
      if (Number.isNaN(number)) return 'categorical';
      if (distinct.size <= MAX_CATEGORICAL_DISTINCT_NUMBERS) distinct.add(number);
    }
  }
  return distinct.size > MAX_CATEGORICAL_DISTINCT_NUMBERS ? 'numerical' : 'categorical';
}

function selectColumns(
  reference: readonly Row[],
  current: readonly Row[],
  options: CompareOptions,
): string[] {
  const present = new Set<string>();
  for (const rows of [reference, current]) {
    for (const row of rows) for (const key of Object.keys(row)) present.add(key);
  }
  const check = (name: string, what: string) => {
    if (!present.has(name))
      throw new DriftInputError(`unknown column "${name}" in ${what}`, { column: name });
  };
  for (const name of options.columns ?? []) check(name, 'columns');
  for (const name of Object.keys(options.columnTypes ?? {})) check(name, 'column types');
  for (const name of Object.keys(options.methods ?? {})) check(name, 'methods');
  return options.columns ? [...new Set(options.columns)] : [...present];
}

interface ColumnAnalysis {
  column: ColumnDrift;
  chart: ColumnChart;
}

function analyzeNumerical(
  name: string,
  referenceValues: readonly unknown[],
  currentValues: readonly unknown[],
  bins: number,
  choice?: MethodChoice,
): ColumnAnalysis {
  const reference = numericSide(referenceValues, 'reference', name);
  const current = numericSide(currentValues, 'current', name);
  const referenceSummary = sideSummary(reference.values.length, reference.missing);
  const currentSummary = sideSummary(current.values.length, current.missing);
  const method = resolveMethod(name, 'numerical', reference.values.length, choice);
  if (reference.values.length === 0 || current.values.length === 0) {
    return {
      column: columnResult(name, 'numerical', referenceSummary, currentSummary, method, null),
      chart: referenceOnlyChart(name, reference.values, current.values, bins),
    };
  }
  // The sides are this function's own arrays: sorting them in place saves a copy of each.
  const comparison = compareNumericalInPlace(reference.values, current.values, bins);
  return {
    column: columnResult(name, 'numerical', referenceSummary, currentSummary, method, comparison.stats),
    chart: numericalChart(name, comparison.edges, comparison.referenceCounts, comparison.currentCounts),
  };
}

/** The chart of a numerical column one side of which is empty: the other side's bins, if any. */
function referenceOnlyChart(
  name: string,
  reference: Float64Array,
  current: Float64Array,
  bins: number,
): ColumnChart {
  if (reference.length === 0) return { column: name, type: 'numerical', bins: [] };
  const sorted = sortedCopy(reference);
  const edges = quantileEdges(sorted, bins);
  const inner = edges.slice(1, -1);
  return numericalChart(name, edges, countSortedIntoBins(sorted, inner), countSortedIntoBins(current, inner));
}

/** The finite values of one side of a numerical column, and how many cells were missing. */
function numericSide(
  values: readonly unknown[],
  side: 'reference' | 'current',
  column: string,
): { values: Float64Array; missing: number } {
  const out = new Float64Array(values.length);
  let count = 0;
  let missing = 0;
  for (let row = 0; row < values.length; row++) {
    const value = values[row];
    if (isMissing(value)) {
      missing++;
      continue;
    }
    const number = numericValue(value);
    if (Number.isNaN(number)) {
      throw new DriftInputError(
        `value ${JSON.stringify(value)} in numerical column "${column}" is not a number`,
        {
          side,
          row,
          column,
        },
      );
    }
    out[count++] = number;
  }
  return { values: out.subarray(0, count), missing };
}

function analyzeCategorical(
  name: string,
  referenceValues: readonly unknown[],
  currentValues: readonly unknown[],
  choice?: MethodChoice,
): ColumnAnalysis {
  const reference = categoryCounts(referenceValues);
  const current = categoryCounts(currentValues);
  const referenceSummary = sideSummary(reference.count, reference.missing);
  const currentSummary = sideSummary(current.count, current.missing);
  const method = resolveMethod(name, 'categorical', reference.count, choice);
  const table = categoryTable(reference.counts, current.counts);
  const stats = reference.count === 0 || current.count === 0 ? null : categoricalStats(table);
  return {
    column: columnResult(name, 'categorical', referenceSummary, currentSummary, method, stats),
    chart: categoricalChart(name, table),
  };
}

function categoryCounts(values: readonly unknown[]): {
  counts: Map<string, number>;
  count: number;
  missing: number;
} {
  const counts = new Map<string, number>();
  let missing = 0;
  for (const value of values) {
    if (isMissing(value)) {
      missing++;
      continue;
    }
    const category = categoryOf(value);
    counts.set(category, (counts.get(category) ?? 0) + 1);
  }
  return { counts, count: values.length - missing, missing };
}
