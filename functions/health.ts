import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { json } from '#commons/http';
import { logger, loggerOptions } from '#powertools/logger';

/**
 * GET /healthz: answers once the function can serve. Kept free of AWS clients so that it
 * measures the API and the runtime, and stays cheap to call from load balancers and probes.
 */
export const handler = middy(async (): Promise<APIGatewayProxyResult> => json(200, { status: 'ok' })).use(
  injectLambdaContext(logger, loggerOptions),
);
