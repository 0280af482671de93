import type { CategoricalStats } from './categorical.ts';
import type { KsResult } from './ks.ts';
import type { NumericalStats } from './numerical.ts';

/** One record of a data set: column name to raw cell. */
export type Row = Record<string, unknown>;

export type ColumnType = 'numerical' | 'categorical';

export type DriftMethod =
  | 'ks'
  | 'wasserstein'
  | 'wassersteinNormed'
  | 'psi'
  | 'kl'
  | 'jensenShannon'
  | 'hellinger'
  | 'chiSquare';

/** A method chosen for a column, with its threshold (the method's default when omitted). */
export interface MethodChoice {
  method: DriftMethod;
  threshold?: number;
}

/** How much of one side of a column is usable. */
export interface SideSummary {
  /** Non-missing values. */
  count: number;
  /** Missing values / rows (0 when there are no rows). */
  missingShare: number;
}

/** Extra keys in `stats` when KS and Wasserstein come from profiles rather than raw values. */
export interface ProfileEstimates {
  ks: KsResult & {
    /** |D − statistic| ≤ errorBound for the raw-data D; in fact D lies in [statistic, statistic + errorBound]. */
    errorBound: number;
  };
  /** |W − wasserstein| ≤ wassersteinErrorBound for the raw-data 1-Wasserstein distance W. */
  wassersteinErrorBound: number;
  /** The same bound for `wassersteinNormed`. */
  wassersteinNormedErrorBound: number;
}

interface ColumnDriftBase {
  name: string;
  reference: SideSummary;
  current: SideSummary;
  method: DriftMethod;
  /** The method's value: a p-value for `ks` and `chiSquare`, a distance otherwise; null without data. */
  score: number | null;
  threshold: number;
  drifted: boolean;
  /** Under the `fdr` dataset rule: the Benjamini–Hochberg adjusted p-value (null without data). */
  adjustedPValue?: number | null;
}

export interface NumericalColumnDrift extends ColumnDriftBase {
  type: 'numerical';
  stats: NumericalStats | (NumericalStats & ProfileEstimates) | null;
  /** Why `stats` is null. */
  reason?: string;
}

export interface CategoricalColumnDrift extends ColumnDriftBase {
  type: 'categorical';
  stats: CategoricalStats | null;
  /** Why `stats` is null. */
  reason?: string;
}

/** One entry of the report's `columns` (docs/drift.md, output shape). */
export type ColumnDrift = NumericalColumnDrift | CategoricalColumnDrift;

export interface DatasetDrift {
  driftedColumns: number;
  columns: number;
  driftedShare: number;
  drifted: boolean;
  /** Present under the `fdr` rule (fdr.ts): the rule, its false discovery rate, the rejections. */
  rule?: 'fdr';
  alpha?: number;
  rejectedColumns?: number;
}

export interface DatasetSide {
  path?: string;
  rows: number;
}

/** The JSON of `vigil drift --format json`. */
export interface DriftReport {
  reference: DatasetSide;
  current: DatasetSide;
  columns: ColumnDrift[];
  dataset: DatasetDrift;
}
