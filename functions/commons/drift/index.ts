/**
 * Vigil's drift statistics engine (docs/drift.md): pure TypeScript, no AWS or Node-only imports.
 *
 * - raw data: {@link compareDatasets} / {@link analyzeDatasets} (report plus chart data);
 * - aggregates: {@link fitReferenceProfile}, {@link countValue}, {@link mergeCounters},
 *   {@link evaluateProfile}, {@link profileChart};
 * - the HTML report: {@link renderHtmlReport} (`html.ts`).
 */
export type { BinnedStats } from './binned.ts';
export { binnedStats, quantileEdges } from './binned.ts';
export type { CategoricalStats, ChiSquareResult } from './categorical.ts';
export { chiSquareHomogeneity } from './categorical.ts';
export type { ChartBin, ColumnChart } from './charts.ts';
export type { CompareOptions, DriftAnalysis } from './compare.ts';
export { analyzeDatasets, compareDatasets, DEFAULT_BINS, inferColumnType } from './compare.ts';
export type { DatasetRule } from './fdr.ts';
export { applyDatasetRule, benjaminiHochberg, columnPValue, DEFAULT_FDR_ALPHA } from './fdr.ts';
export type { HtmlReportOptions } from './html.ts';
export { renderHtmlReport } from './html.ts';
export type { KsResult } from './ks.ts';
export { ks2samp, ksPValue } from './ks.ts';
export {
  DEFAULT_DRIFT_SHARE,
  DRIFT_METHODS,
  DriftInputError,
  datasetDrift,
  defaultMethod,
  isDrifted,
} from './methods.ts';
export type { NumericalStats } from './numerical.ts';
export { populationStd, wassersteinDistance } from './numerical.ts';
export type {
  CategoricalProfile,
  NumericalProfile,
  ProfileOptions,
  ReferenceProfile,
  WindowCounters,
} from './profile.ts';
export {
  boundCounters,
  ColumnCounter,
  countValue,
  DEFAULT_MAX_CATEGORIES,
  fitReferenceProfile,
  mergeCounters,
  OTHER_CATEGORY,
  profileChart,
} from './profile.ts';
export { type EvaluateOptions, evaluateProfile } from './profile-drift.ts';
export type {
  CategoricalColumnDrift,
  ColumnDrift,
  ColumnType,
  DatasetDrift,
  DatasetSide,
  DriftMethod,
  DriftReport,
  MethodChoice,
  NumericalColumnDrift,
  ProfileEstimates,
  Row,
  SideSummary,
} from './types.ts';
export { isMissing, numericValue } from './values.ts';
