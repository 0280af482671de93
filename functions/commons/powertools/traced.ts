import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { dynamoDbClient } from '#clients/dynamodb';
import { logger, loggerOptions } from './logger.ts';
import { metrics } from './metrics.ts';
import { tracer } from './tracer.ts';

// The document client shares this client's middleware stack, so its calls are traced too.
tracer.captureAWSv3Client(dynamoDbClient);

/**
 * The standard Powertools stack (see `observed`) with X-Ray: a subsegment per invocation and
 * one per DynamoDB call, for the background functions whose time is worth breaking down (the
 * scheduled evaluation, the workflow's tasks). It costs the X-Ray SDK at every cold start
 * (`npm run bench:bundles`), so request handlers do without it.
 *
 * Responses are not recorded in the trace: they hold workflow task results, and X-Ray keeps
 * trace metadata for 30 days for anyone allowed `xray:BatchGetTraces`.
 */
export function traced<E, R>(handler: (event: E, context: Context) => Promise<R>) {
  return middy(handler)
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(logMetrics(metrics))
    .use(injectLambdaContext(logger, loggerOptions));
}
