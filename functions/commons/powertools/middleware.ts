import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { ReadLimitError } from '../clients/read-limit.ts';
import { logger, loggerOptions } from './logger.ts';
import { metrics } from './metrics.ts';
import { readableError } from './readable-error.ts';

/**
 * A bounded read that refused (more items than it takes) is an error to act on, never a partial
 * result: logged and counted before the invocation fails (its metrics flushed after this).
 */
const readLimits: middy.MiddlewareObj = {
  onError: async (request) => {
    if (!(request.error instanceof ReadLimitError)) return;
    logger.error('read refused past its bound', { what: request.error.what, bound: request.error.bound });
    metrics.addMetric('ReadLimitExceeded', 'Count', 1);
  },
};

/**
 * An error that escapes the handler gets its stack mapped to the sources before the Lambda
 * runtime prints it ("Invoke Error"); the other middlewares' `onError` run after this one.
 */
const readableErrors: middy.MiddlewareObj = {
  onError: async (request) => {
    await readableError(request.error);
  },
};

/**
 * A handler in the standard Powertools stack: metrics flushed, the Lambda context on every log
 * line. Every function uses it. It loads no X-Ray SDK, which would be most of a small
 * function's cold start: with active tracing, Lambda itself records each invocation, its
 * initialisation and its errors in X-Ray, and no handler's response or event can reach a trace.
 */
export function observed<E, R>(handler: (event: E, context: Context) => Promise<R>) {
  return middy(handler)
    .use(logMetrics(metrics))
    .use(injectLambdaContext(logger, loggerOptions))
    .use(readLimits)
    .use(readableErrors);
}
