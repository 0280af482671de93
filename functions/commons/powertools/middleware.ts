import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger, loggerOptions } from './logger.ts';
import { metrics } from './metrics.ts';
import { tracer } from './tracer.ts';

/**
 * A handler in the standard Powertools stack: a trace subsegment per invocation, metrics
 * flushed, the Lambda context on every log line. Responses are not recorded in the trace: they
 * hold new model keys, approval pages with their form tokens, and workflow task results, and
 * X-Ray keeps trace metadata for 30 days for anyone allowed `xray:BatchGetTraces`.
 */
export function observed<E, R>(handler: (event: E, context: Context) => Promise<R>) {
  return middy(handler)
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(logMetrics(metrics))
    .use(injectLambdaContext(logger, loggerOptions));
}
