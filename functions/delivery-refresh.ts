import { refreshDelivery } from '#commons/delivery/refresh';
import { logger } from '#powertools/logger';
import { metrics } from '#powertools/metrics';
import { observed } from '#powertools/middleware';
// Every run lists the topic's subscriptions: the SNS client loads at start.
import '#commons/notifier/sns-client';

/**
 * The scheduler's target (EventBridge Scheduler in AWS): reads the state of every email
 * subscription of the notifications topic, sends the requests waiting for an address that has
 * confirmed since the last run, and tells MLOps about a waiting step whose role lost its last
 * confirmed address.
 */
export const handler = observed(async () => {
  const result = await refreshDelivery(new Date());
  logger.info('delivery refreshed', result);
  metrics.addMetric('WaitingRequestsDelivered', 'Count', result.delivered);
  return result;
});
