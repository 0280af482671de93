import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger, loggerOptions } from './logger.ts';
import { metrics } from './metrics.ts';

/**
 * A handler in the standard Powertools stack: metrics flushed, the Lambda context on every log
 * line. It loads no X-Ray SDK, which is most of a handler's cold start: with active tracing,
 * Lambda itself still records each invocation (and its initialisation) in X-Ray. Handlers
 * that need subsegments use `traced` (#powertools/traced) instead.
 */
export function observed<E, R>(handler: (event: E, context: Context) => Promise<R>) {
  return middy(handler).use(logMetrics(metrics)).use(injectLambdaContext(logger, loggerOptions));
}
