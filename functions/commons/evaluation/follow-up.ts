import { logger } from '#powertools/logger';
import { isBaselineReviewDue } from '../baseline-review/due.ts';
import { readOpenIncidentLock } from '../incidents/store.ts';
import type { IncidentRecord } from '../incidents/types.ts';
import type { ModelRecord } from '../registry/store.ts';
import { rarePaths } from './first-use.ts';
import type { EvaluationRecord } from './store.ts';

/**
 * What an evaluation run does for the model's incidents besides its own breach (`breach.ts`):
 * the baseline review when the baseline is due for one, and the model's open
 * `unapproved_version` incident. Both are rare: a run checks with the model record or one key
 * read, and loads the incident code (opening, the workflow, reverts) only when there is
 * something to do (`rare-paths.ts`, on first use in an execution environment), not at a cold start.
 */

/**
 * Opens the model's baseline review, or finds the one open, when its baseline is due for one at
 * `now` (`baseline-review/open.ts`); undefined when none is due.
 */
export async function openBaselineReviewIfDue(
  model: ModelRecord,
  now: Date,
): Promise<{ incident: IncidentRecord; created: boolean } | undefined> {
  if (!isBaselineReviewDue(model, now)) return undefined;
  const { openDueBaselineReview } = await rarePaths();
  return openDueBaselineReview(model, now);
}

/**
 * After an evaluation, while the model has an open `unapproved_version` incident: resumes its
 * revert step once the window proves production restored (`incidents/revert.ts`), and, with
 * `startWorkflow` (the scheduled run), starts its workflow if the ingest request that opened it
 * could not. A failure is logged and leaves the evaluation be: the next run checks again.
 */
export async function followUnapprovedVersion(
  model: ModelRecord,
  evaluation: EvaluationRecord,
  { startWorkflow }: { readonly startWorkflow: boolean },
): Promise<void> {
  const { modelId } = model;
  try {
    if (!(await readOpenIncidentLock(modelId, 'unapproved_version'))) return;
    const { settleRevertAfter } = await rarePaths();
    await settleRevertAfter(model, evaluation);
  } catch (error) {
    logger.warn('checking a revert failed', { modelId, error });
    return;
  }
  if (!startWorkflow) return;
  try {
    const { startUnapprovedWorkflow } = await rarePaths();
    await startUnapprovedWorkflow(modelId);
  } catch (error) {
    logger.warn('starting the workflow of an unapproved version failed', { modelId, error });
  }
}
