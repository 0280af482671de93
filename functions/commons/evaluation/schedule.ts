import { logger } from '#powertools/logger';
import { settleRevert } from '../incidents/revert.ts';
import { startUnapprovedWorkflow } from '../incidents/unapproved.ts';
import { durationSeconds } from '../registry/schema.ts';
import { listModels } from '../registry/store.ts';
import { afterEvaluation } from './breach.ts';
import { evaluateModel } from './evaluate.ts';
import { recordEvaluationMetrics } from './metrics.ts';
import { claimScheduledRun, completeScheduledRun, releaseScheduledRun } from './store.ts';
import { compactRecentBuckets } from './window.ts';

export interface ScheduledRun {
  readonly modelId: string;
  readonly evaluationId?: string;
  readonly status?: string;
  readonly incidentId?: string;
  readonly error?: string;
}

/**
 * The periodic assessment (SOP 6.2.1): every model with a baseline whose `schedule.every` has
 * elapsed since its last scheduled run is evaluated over its last complete window. A model is
 * claimed before it is evaluated, so overlapping invocations evaluate it once, and its run is
 * recorded only after the evaluation is stored and acted on: a model whose run failed is due
 * again on the next tick. One model's failure is reported and does not stop the others. Every model's recently closed buckets are
 * compacted on every run, due or not.
 */
export async function runScheduledEvaluations(now = new Date()): Promise<ScheduledRun[]> {
  const runs: ScheduledRun[] = [];
  for (const model of await listModels()) {
    if (model.baselineVersion === undefined) continue;
    await compactRecentBuckets(model, now).catch((error: unknown) => {
      logger.warn('compaction of recent buckets failed', { modelId: model.modelId, error });
    });
    const claim = await claimScheduledRun(model.modelId, now, durationSeconds(model.schedule.every));
    if (!claim) continue;
    try {
      const evaluation = await evaluateModel(model, { end: now, trigger: 'schedule' });
      const outcome = await afterEvaluation(model, evaluation);
      // A revert asked of an unapproved version is done once production alone served this window.
      await settleRevert(model, evaluation).catch((error: unknown) => {
        logger.warn('checking a revert failed', { modelId: model.modelId, error });
      });
      await startUnapprovedWorkflow(model.modelId).catch((error: unknown) => {
        logger.warn('starting the workflow of an unapproved version failed', {
          modelId: model.modelId,
          error,
        });
      });
      await completeScheduledRun(model.modelId, claim, now);
      recordEvaluationMetrics(evaluation);
      runs.push({
        modelId: model.modelId,
        evaluationId: evaluation.evaluationId,
        status: evaluation.status,
        ...(outcome.incident ? { incidentId: outcome.incident.incidentId } : {}),
      });
    } catch (error) {
      // The model stays due: the next tick evaluates it again.
      await releaseScheduledRun(model.modelId, claim).catch((release: unknown) => {
        logger.warn('releasing a failed scheduled run failed', { modelId: model.modelId, error: release });
      });
      runs.push({ modelId: model.modelId, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return runs;
}
