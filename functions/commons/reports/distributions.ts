import type { ColumnChart } from '#drift/charts';
import { profileChart } from '#drift/profile';
import type { EvaluationRecord } from '../evaluation/store.ts';
import { alignedWindow, readWindow } from '../evaluation/window.ts';
import { referenceProfiles } from '../registry/baseline-reads.ts';
import type { ModelRecord } from '../registry/store.ts';

/**
 * The reference and window distributions of an evaluation's features (all of them, or those
 * named), read again from the baseline's profiles and the evaluation's window.
 */
export async function evaluationCharts(
  model: ModelRecord,
  evaluation: EvaluationRecord,
  columns: readonly string[] = evaluation.drift.columns.map((column) => column.name),
): Promise<ColumnChart[]> {
  if (columns.length === 0) return [];
  const profiles = await referenceProfiles(model.modelId, evaluation.baselineVersion);
  const { resolution } = alignedWindow(model, new Date(evaluation.windowEnd), 'complete');
  const window = await readWindow(
    model,
    evaluation.baselineVersion,
    new Date(evaluation.windowStart),
    new Date(evaluation.windowEnd),
    resolution,
  );
  return columns.flatMap((name) => {
    const profile = profiles.get(name);
    return profile ? [profileChart(name, profile, window.columns.get(name) ?? {})] : [];
  });
}
