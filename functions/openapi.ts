import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { openApiDocument } from '#commons/api/openapi';
import { json } from '#commons/http';
import { logger, loggerOptions } from '#powertools/logger';

let document: string | undefined;

/** GET /openapi.json: the API's description, generated once per execution environment. */
export const handler = middy(async (): Promise<APIGatewayProxyResult> => {
  document ??= JSON.stringify(openApiDocument());
  return { ...json(200, null), body: document };
}).use(injectLambdaContext(logger, loggerOptions));
