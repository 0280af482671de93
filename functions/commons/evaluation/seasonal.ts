import { applyDatasetRule } from '#drift/fdr';
import { compareWindows } from '#drift/lagged';
import type { ReferenceProfile } from '#drift/profile';
import type { ColumnDrift, DatasetDrift, DriftMethod, SideSummary } from '#drift/types';
import { durationSeconds } from '../registry/duration.ts';
import type { ModelRecord } from '../registry/store.ts';
import { datasetRuleOf } from './dataset-rule.ts';
import { fmt } from './format.ts';
import { readWindow, type WindowData } from './window.ts';

/**
 * The seasonal reference (`reference: {"lag", "mode"}`, docs/drift.md "Seasonal reference"):
 * each feature of the window is compared also with the same window one lag earlier, read from
 * the stored window profiles, so a weekly or yearly pattern the baseline does not hold does not
 * alarm. With mode `both` (the default) a feature drifts only when it drifts against the baseline
 * and against the lagged window; with `seasonal`, when it drifts against the lagged window.
 */

/** A feature's comparison with the lagged window, as an evaluation records it per column. */
export interface LaggedColumn {
  readonly method: DriftMethod;
  readonly score: number | null;
  readonly threshold: number;
  readonly drifted: boolean;
  /** The lagged window's side: values and missing share. */
  readonly reference: SideSummary;
  /** The bound on the score's error, for a score estimated from the sketches (Wasserstein). */
  readonly errorBound?: number;
  /** The bound on the KS statistic's error, for `ks` (the score is its p-value). */
  readonly ksErrorBound?: number;
}

/** A column of an evaluation with a seasonal reference: `drifted` is the combined verdict. */
export type SeasonalColumn = ColumnDrift & { baselineDrifted: boolean; lagged?: LaggedColumn };

/** What an evaluation records of its seasonal reference. */
export interface SeasonalReference {
  readonly lag: string;
  readonly mode: 'both' | 'seasonal';
  readonly windowStart: string;
  readonly windowEnd: string;
  /** Predictions in the lagged window. */
  readonly samples: number;
  /** Whether the lagged window took part in the verdicts (it holds at least `minSamples`). */
  readonly applied: boolean;
  /** Why it did not. */
  readonly reason?: string;
  /** Dataset drift against the lagged window alone. */
  readonly dataset?: DatasetDrift;
}

/**
 * Compares the window's features (`window.data`) with the window one `reference.lag` earlier and replaces each
 * column of `columns` (the comparison with the baseline, in place) by its combined verdict, with
 * the lagged result beside it. A lagged window with fewer than `minSamples` predictions takes no
 * part: the baseline's verdicts stand and the record says why. Undefined for a model without a
 * seasonal reference.
 */
export async function applySeasonalReference(
  model: ModelRecord,
  baselineVersion: number,
  profiles: ReadonlyMap<string, ReferenceProfile>,
  columns: ColumnDrift[],
  window: { data: WindowData; start: Date; end: Date; resolution: number },
  samplesOf: (window: WindowData) => number,
): Promise<SeasonalReference | undefined> {
  const reference = model.reference;
  if (!reference) return undefined;
  // The lagged window on bucket boundaries: the lag rounded down to whole buckets.
  const lagMs = Math.floor(durationSeconds(reference.lag) / window.resolution) * window.resolution * 1000;
  const start = new Date(window.start.getTime() - lagMs);
  const end = new Date(window.end.getTime() - lagMs);
  const lagged = await readWindow(model, baselineVersion, start, end, window.resolution, { compact: true });
  const samples = samplesOf(lagged);
  const recorded = {
    lag: reference.lag,
    mode: reference.mode,
    windowStart: start.toISOString(),
    windowEnd: end.toISOString(),
    samples,
  };
  if (samples < model.schedule.minSamples) {
    return {
      ...recorded,
      applied: false,
      reason: `the lagged window holds ${samples} predictions, fewer than minSamples (${model.schedule.minSamples}): the verdicts are the baseline's`,
    };
  }
  const laggedColumns: ColumnDrift[] = [];
  columns.forEach((column, i) => {
    const profile = profiles.get(column.name);
    if (!profile) return;
    const result = compareWindows(
      column.name,
      profile,
      lagged.columns.get(column.name) ?? {},
      window.data.columns.get(column.name) ?? {},
      { method: column.method, threshold: column.threshold },
    );
    laggedColumns.push(result);
    columns[i] = combined(column, result, reference.mode);
  });
  return {
    ...recorded,
    applied: true,
    dataset: applyDatasetRule(laggedColumns, datasetRuleOf(model)).dataset,
  };
}

/** The column with its verdict against both references; a lagged side without values leaves the baseline's. */
function combined(column: ColumnDrift, lagged: ColumnDrift, mode: 'both' | 'seasonal'): SeasonalColumn {
  const stats = lagged.stats as Record<string, unknown> | null;
  const laggedColumn: LaggedColumn = {
    method: lagged.method,
    score: lagged.score,
    threshold: lagged.threshold,
    drifted: lagged.drifted,
    reference: lagged.reference,
    ...(stats && lagged.method.startsWith('wasserstein')
      ? { errorBound: stats[`${lagged.method}ErrorBound`] as number }
      : {}),
    ...(stats && lagged.method === 'ks'
      ? { ksErrorBound: (stats.ks as { errorBound: number }).errorBound }
      : {}),
  };
  const drifted =
    lagged.score === null
      ? column.drifted
      : mode === 'seasonal'
        ? lagged.drifted
        : column.drifted && lagged.drifted;
  return { ...column, drifted, baselineDrifted: column.drifted, lagged: laggedColumn };
}

/** The breach reason's second half: the drifted features' scores against the lagged window. */
export function laggedReason(reference: SeasonalReference, columns: readonly ColumnDrift[]): string {
  const drifted = (columns as readonly SeasonalColumn[]).filter((c) => c.drifted && c.lagged);
  const scores = drifted.map(({ name, lagged }) => {
    const { method, score, threshold } = lagged as LaggedColumn;
    const relation = method === 'ks' || method === 'chiSquare' ? '<' : '≥';
    return `${name} (${method} ${score === null ? 'no data' : fmt(score)} ${relation} ${fmt(threshold)})`;
  });
  return `Against the window one ${reference.lag} earlier (mode ${reference.mode}): ${scores.join(', ')}`;
}
