import type { ColumnChart } from '#drift/charts';
import { renderHtmlReport } from '#drift/html';
import { profileChart } from '#drift/profile';
import type { EvaluationRecord } from '../evaluation/store.ts';
import { alignedWindow, readWindow } from '../evaluation/window.ts';
import { getBaseline, referenceProfiles } from '../registry/baselines.ts';
import type { ModelRecord } from '../registry/store.ts';

/**
 * The HTML report of an evaluation: per feature, the baseline's and the window's distributions
 * as charts, the statistics and the verdict, drawn by the same renderer as `vigil drift --format
 * html`. The charts come from the window's profiles, read again for the evaluation's window.
 */
export async function evaluationReportHtml(
  model: ModelRecord,
  evaluation: EvaluationRecord,
): Promise<string> {
  const [profiles, baseline] = await Promise.all([
    referenceProfiles(model.modelId, evaluation.baselineVersion),
    getBaseline(model.modelId, evaluation.baselineVersion),
  ]);
  const { resolution } = alignedWindow(model, new Date(evaluation.windowEnd), 'complete');
  const window = await readWindow(
    model,
    evaluation.baselineVersion,
    new Date(evaluation.windowStart),
    new Date(evaluation.windowEnd),
    resolution,
  );
  const charts: ColumnChart[] = evaluation.drift.columns.flatMap((column) => {
    const profile = profiles.get(column.name);
    return profile ? [profileChart(column.name, profile, window.columns.get(column.name) ?? {})] : [];
  });
  return renderHtmlReport(
    {
      reference: { path: `baseline ${evaluation.baselineVersion}`, rows: baseline?.records ?? 0 },
      current: { path: `${evaluation.windowStart} – ${evaluation.windowEnd}`, rows: evaluation.samples },
      columns: evaluation.drift.columns,
      dataset: evaluation.drift.dataset,
    },
    charts,
    { title: `Vigil evaluation of ${model.name} (${model.modelId}): ${evaluation.status}` },
  );
}
