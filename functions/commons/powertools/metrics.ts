import { Metrics } from '@aws-lambda-powertools/metrics';
import { logger } from './logger.ts';

/**
 * CloudWatch metrics in embedded metric format; namespace from POWERTOOLS_METRICS_NAMESPACE.
 * Its own warnings (such as a request that recorded no metric) go through the structured logger.
 */
export const metrics = new Metrics({ logger });
