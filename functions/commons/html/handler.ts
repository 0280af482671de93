import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { RouteHandler } from '#commons/api/handler';
import { HttpError } from '#commons/http';
import { logger } from '#powertools/logger';
import { observed } from '#powertools/middleware';
import { readableError } from '#powertools/readable-error';
import { messagePage } from './layout.ts';

const titles: Record<number, string> = {
  400: 'Please check the form',
  403: 'This link is not valid',
  404: 'Not found',
  409: 'Already decided',
  410: 'This request is closed',
  413: 'Too much text',
  415: 'Unsupported form',
  503: 'Please try again',
};

/**
 * An API Gateway handler serving HTML pages, dispatched on `METHOD /resource/{template}` like
 * `apiHandler`, in the standard Powertools stack. Client errors (HttpError) become a page with
 * their status and message; anything else is logged and answered with a 500 page without detail.
 */
export function htmlHandler(routes: Record<string, RouteHandler>) {
  const dispatch = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    const route = routes[`${event.httpMethod} ${event.resource}`];
    try {
      if (!route) throw new HttpError(404, 'not_found', 'There is no such page.');
      return await route(event, context);
    } catch (error) {
      if (error instanceof HttpError) {
        if (error.statusCode >= 500) logger.error('page failed', { error: await readableError(error) });
        else logger.info('page refused', { status: error.statusCode, code: error.code });
        return messagePage(error.statusCode, titles[error.statusCode] ?? 'Request refused', error.message);
      }
      logger.error('unexpected error', { error: (await readableError(error)) as Error });
      return messagePage(
        500,
        'Something went wrong',
        `Vigil could not answer this request (reference ${context.awsRequestId}). Please try again later.`,
      );
    }
  };
  return observed(dispatch);
}
