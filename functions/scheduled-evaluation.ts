import { runScheduledEvaluations } from '#commons/evaluation/schedule';
import { logger } from '#powertools/logger';
import { metrics } from '#powertools/metrics';
import { traced } from '#powertools/traced';

/**
 * The scheduler's target (EventBridge Scheduler in AWS, the runtime's loop locally): evaluates
 * every model that is due. A model that failed is logged and counted, and fails the invocation
 * so that the scheduler's retry policy and the error alarm see it.
 */
export const handler = traced(async () => {
  const runs = await runScheduledEvaluations(new Date());
  const failed = runs.filter((r) => r.error);
  logger.info('scheduled evaluations', { runs });
  if (failed.length > 0) {
    metrics.addMetric('EvaluationFailures', 'Count', failed.length);
    throw new Error(`Evaluation failed for ${failed.map((f) => `${f.modelId}: ${f.error}`).join('; ')}`);
  }
  return { evaluated: runs.length, runs };
});
