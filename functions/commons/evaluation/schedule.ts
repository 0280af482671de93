import { logger } from '#powertools/logger';
import { metrics } from '#powertools/metrics';
import { durationSeconds } from '../registry/duration.ts';
import { listFirstModels, MAX_MODELS, type ModelRecord } from '../registry/store.ts';
import { afterEvaluation } from './breach.ts';
import { latestFire } from './cron.ts';
import { evaluateModel } from './evaluate.ts';
import { followUnapprovedVersion, openBaselineReviewIfDue } from './follow-up.ts';
import { recordEvaluationMetrics } from './metrics.ts';
import { claimScheduledRun, completeScheduledRun, releaseScheduledRun } from './store.ts';
import { compactRecentBuckets } from './window.ts';

export interface ScheduledRun {
  readonly modelId: string;
  readonly evaluationId?: string;
  readonly status?: string;
  readonly incidentId?: string;
  /** The model's open baseline review, when its baseline is due for one. */
  readonly baselineReviewIncidentId?: string;
  readonly error?: string;
}

/**
 * When the model's next scheduled run is due, and the end of its window: `every` after its last
 * run, over the window ending now; or, with `cron`, once the latest fire time has passed since its
 * last run (fire times before the model was registered do not count), over the window ending at
 * that fire time. Ticks missed in between coalesce into that one run.
 */
async function dueRun(
  model: ModelRecord,
  now: Date,
): Promise<{ since: number | { firedAt: Date }; end: Date } | undefined> {
  if (model.schedule.cron === undefined)
    return { since: durationSeconds(model.schedule.every ?? 'P1D'), end: now };
  const firedAt = await latestFire(model.schedule, now);
  if (!firedAt || firedAt.getTime() < Date.parse(model.createdAt)) return undefined;
  return { since: { firedAt }, end: firedAt };
}

/**
 * The periodic assessment (SOP 6.2.1): every model with a baseline whose `schedule.every` has
 * elapsed since its last scheduled run, or whose `schedule.cron` fired since then, is evaluated
 * over its last complete window ({@link dueRun}). A model is
 * claimed before it is evaluated, so overlapping invocations evaluate it once, and its run is
 * recorded only after the evaluation is stored and acted on: a model whose run failed is due
 * again on the next tick. One model's failure is reported and does not stop the others. Every model's recently closed buckets are
 * compacted on every run, due or not. A due run also opens the model's baseline review when its
 * baseline is due for one (SOP Appendix A, `baseline-review/open.ts`, through `follow-up.ts`).
 */
export async function runScheduledEvaluations(
  now = new Date(),
  maxModels = MAX_MODELS,
): Promise<ScheduledRun[]> {
  const runs: ScheduledRun[] = [];
  // Past the limit (models registered before registration refused them), the first ones by id
  // are still evaluated; the rest are reported as one failed run, which fails the invocation.
  const { models, more } = await listFirstModels(maxModels);
  if (more) {
    logger.error('more registered models than a scheduled run reads: the first ones by id are evaluated', {
      bound: maxModels,
    });
    metrics.addMetric('ReadLimitExceeded', 'Count', 1);
  }
  for (const model of models) {
    if (model.baselineVersion === undefined) continue;
    await compactRecentBuckets(model, now).catch((error: unknown) => {
      logger.warn('compaction of recent buckets failed', { modelId: model.modelId, error });
    });
    let due: Awaited<ReturnType<typeof dueRun>>;
    try {
      due = await dueRun(model, now);
    } catch (error) {
      // A schedule the edge accepted but this runtime cannot read (a time zone it lacks).
      runs.push({ modelId: model.modelId, error: error instanceof Error ? error.message : String(error) });
      continue;
    }
    if (!due) continue;
    const claim = await claimScheduledRun(model.modelId, now, due.since);
    if (!claim) continue;
    // The baseline review stands apart from the evaluation: the failure of one leaves the other be.
    const review = await openBaselineReviewIfDue(model, now).catch((error: unknown) => {
      logger.warn('opening a due baseline review failed', { modelId: model.modelId, error });
      return undefined;
    });
    const reviewed = review ? { baselineReviewIncidentId: review.incident.incidentId } : {};
    try {
      const evaluation = await evaluateModel(model, { end: due.end, trigger: 'schedule' });
      const outcome = await afterEvaluation(model, evaluation);
      // A revert asked of an unapproved version is done once production alone served this window;
      // the workflow of such a version's incident starts here if the ingest request could not.
      await followUnapprovedVersion(model, evaluation, { startWorkflow: true });
      await completeScheduledRun(model.modelId, claim, now);
      recordEvaluationMetrics(evaluation);
      runs.push({
        modelId: model.modelId,
        evaluationId: evaluation.evaluationId,
        status: evaluation.status,
        ...(outcome.incident ? { incidentId: outcome.incident.incidentId } : {}),
        ...reviewed,
      });
    } catch (error) {
      // The model stays due: the next tick evaluates it again.
      await releaseScheduledRun(model.modelId, claim).catch((release: unknown) => {
        logger.warn('releasing a failed scheduled run failed', { modelId: model.modelId, error: release });
      });
      runs.push({
        modelId: model.modelId,
        ...reviewed,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  if (more)
    runs.push({
      modelId: '*',
      error: `More than ${maxModels} registered models: those past the first ${maxModels} by id are not evaluated`,
    });
  return runs;
}
