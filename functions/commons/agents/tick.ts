import { rarePaths } from '#commons/evaluation/first-use';
import { logger } from '#powertools/logger';
import { listDue, listUnannounced } from './store.ts';

/**
 * The scheduled side of authorized agents' decisions. It runs in the scheduled evaluation
 * function, which holds the approval links' signing key: the incident API, which agents' keys
 * reach, records decisions but can sign nothing.
 */

/** Decisions one tick announces, and applies, at most; the rest wait for the next tick. */
const MAX_PER_TICK = 100;

/**
 * The scheduled tick (every minute, with the scheduled evaluation): emails the step's role about
 * each new agent decision, then applies every one whose overrule window ended by `now`. A
 * decision that fails stays for the next tick. Announcing and applying (the approvals, incidents
 * and notifier code they need) load on the first tick that finds a decision, with the scheduled
 * evaluation's other rare paths (`evaluation/rare-paths.ts`): most ticks find none, and list the
 * two queues only.
 */
export async function runAgentTick(now: Date): Promise<{
  announced: number;
  applied: number;
  dropped: number;
  failed: { approvalId: string; error: string }[];
}> {
  const outcome = {
    announced: 0,
    applied: 0,
    dropped: 0,
    failed: [] as { approvalId: string; error: string }[],
  };
  const failed = (approvalId: string, error: unknown) => {
    logger.warn('agent decision left for the next tick', { approvalId, error: error as Error });
    outcome.failed.push({ approvalId, error: error instanceof Error ? error.message : String(error) });
  };
  for (const item of await listUnannounced(MAX_PER_TICK)) {
    try {
      if (await (await rarePaths()).announceDecision(item, now)) outcome.announced++;
    } catch (error) {
      failed(item.approvalId, error);
    }
  }
  for (const due of await listDue(now.toISOString(), MAX_PER_TICK)) {
    try {
      const applied = await (await rarePaths()).applyAgentDecision(due, now);
      if (applied === 'applied') outcome.applied++;
      else if (applied !== 'not_due') outcome.dropped++;
    } catch (error) {
      failed(due.approvalId, error);
    }
  }
  return outcome;
}
