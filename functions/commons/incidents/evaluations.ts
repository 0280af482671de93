import { type EvaluationRecord, getEvaluation, listEvaluations } from '../evaluation/store.ts';

/**
 * The workflow's view of evaluations (written by the scheduled and manual evaluations): as
 * evidence on approval pages, and for Operations' automatic check of a promoted version.
 */
export type { EvaluationRecord };
export { getEvaluation };

/** The model's evaluation with the latest window end at or after `since` (an ISO timestamp), if any. */
export async function latestEvaluationSince(
  modelId: string,
  since: string,
): Promise<EvaluationRecord | undefined> {
  const [latest] = await listEvaluations(modelId, { from: since, limit: 1 });
  return latest;
}
