import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ReadLimitError } from '#clients/read-limit';
import { errorResponse, HttpError } from '#commons/http';
import { logger } from '#powertools/logger';
import { metrics } from '#powertools/metrics';
import { observed } from '#powertools/middleware';
import { readableError } from '#powertools/readable-error';

export type RouteHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * An API Gateway handler serving several routes of one function, dispatched on
 * `METHOD /resource/{template}`, wrapped in the standard Powertools stack. Client errors
 * (HttpError) become their JSON error; anything else is logged and answered 500 without detail.
 */
export function apiHandler(routes: Record<string, RouteHandler>) {
  const dispatch = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    const modelId = event.pathParameters?.modelId;
    if (modelId) logger.appendKeys({ modelId });
    const route = routes[`${event.httpMethod} ${event.resource}`];
    try {
      if (!route) throw new HttpError(404, 'not_found', `No route for ${event.httpMethod} ${event.resource}`);
      return await route(event, context);
    } catch (error) {
      if (error instanceof HttpError) {
        if (error.statusCode >= 500) logger.error('request failed', { error: await readableError(error) });
        // The fields at fault, not the messages: a parser's message quotes the body it read.
        else
          logger.info('request rejected', {
            status: error.statusCode,
            code: error.code,
            fields: error.issues.map((issue) => issue.path),
          });
        return errorResponse(error);
      }
      logger.error('unexpected error', { error: (await readableError(error)) as Error });
      // A bounded read that no route turned into a 4xx: counted as a background job's is.
      if (error instanceof ReadLimitError) metrics.addMetric('ReadLimitExceeded', 'Count', 1);
      return errorResponse(
        new HttpError(500, 'internal', `Internal error (request ${context.awsRequestId})`),
      );
    }
  };
  return observed(dispatch);
}
