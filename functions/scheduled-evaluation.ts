import { runAgentTick } from '#commons/agents/tick';
import { runScheduledEvaluations } from '#commons/evaluation/schedule';
import { logger } from '#powertools/logger';
import { metrics } from '#powertools/metrics';
import { observed } from '#powertools/middleware';
import { readableError } from '#powertools/readable-error';

/**
 * The scheduler's target (EventBridge Scheduler in AWS, the runtime's loop locally): evaluates
 * every model that is due, after announcing and applying the authorized agents' decisions. A model
 * that failed is logged and counted, and fails the invocation so that the scheduler's retry
 * policy and the error alarm see it; an agent decision that failed stays due for the next tick.
 */
export const handler = observed(async () => {
  // Authorized agents' decisions first (announced to the step's role, applied once their overrule
  // window ended): they are quick, and a long run of evaluations does not delay them.
  const agents = await runAgentTick(new Date()).catch(async (error: unknown) => {
    logger.error('agent decisions left for the next tick', { error: (await readableError(error)) as Error });
    return { announced: 0, applied: 0, dropped: 0, failed: [{ approvalId: '*', error: String(error) }] };
  });
  if (agents.announced + agents.applied + agents.dropped + agents.failed.length > 0)
    logger.info('agent decisions', { agents });
  if (agents.failed.length > 0) metrics.addMetric('AgentDecisionFailures', 'Count', agents.failed.length);
  const runs = await runScheduledEvaluations(new Date());
  const failed = runs.filter((r) => r.error);
  logger.info('scheduled evaluations', { runs });
  if (failed.length > 0) {
    metrics.addMetric('EvaluationFailures', 'Count', failed.length);
    throw new Error(`Evaluation failed for ${failed.map((f) => `${f.modelId}: ${f.error}`).join('; ')}`);
  }
  return { evaluated: runs.length, runs };
});
