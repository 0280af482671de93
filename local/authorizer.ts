import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayRequestAuthorizerEvent,
  Context,
} from 'aws-lambda';
import type { RouteDefinition } from '../lib/routes.ts';

export type AuthorizerHandler = (
  event: APIGatewayRequestAuthorizerEvent,
  context: Context,
) => Promise<APIGatewayAuthorizerResult>;

export type AuthorizerOutcome =
  | { readonly allowed: true; readonly context: Record<string, string | number | boolean> }
  | { readonly allowed: false; readonly statusCode: 401 | 403 };

/** The method ARN API Gateway would pass the authorizer for this request. */
export function methodArn(method: string, path: string): string {
  return `arn:aws:execute-api:local:000000000000:local/v1/${method}${path}`;
}

/** IAM-style resource match: `*` stands for any run of characters. */
export function resourceMatches(pattern: string, arn: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return regex.test(arn);
}

/**
 * Runs the deployed request authorizer for a request and applies its policy as API Gateway
 * does: a throw of "Unauthorized" is 401, a policy that does not allow the method ARN is 403.
 */
export async function authorize(
  authorizer: AuthorizerHandler,
  event: APIGatewayProxyEvent,
  route: RouteDefinition,
  context: Context,
): Promise<AuthorizerOutcome> {
  const arn = methodArn(event.httpMethod, event.path);
  const authorizerEvent = {
    type: 'REQUEST',
    methodArn: arn,
    resource: route.path,
    path: event.path,
    httpMethod: event.httpMethod,
    headers: event.headers,
    multiValueHeaders: event.multiValueHeaders,
    queryStringParameters: event.queryStringParameters,
    multiValueQueryStringParameters: event.multiValueQueryStringParameters,
    pathParameters: event.pathParameters,
    stageVariables: null,
    requestContext: event.requestContext,
  } as APIGatewayRequestAuthorizerEvent;
  let result: APIGatewayAuthorizerResult;
  try {
    result = await authorizer(authorizerEvent, context);
  } catch (error) {
    if (error instanceof Error && error.message === 'Unauthorized')
      return { allowed: false, statusCode: 401 };
    throw error;
  }
  const statements = result.policyDocument.Statement as { Effect: string; Resource?: string | string[] }[];
  const matches = (effect: string) =>
    statements.some(
      (s) => s.Effect === effect && [s.Resource ?? []].flat().some((r) => resourceMatches(r, arn)),
    );
  if (matches('Deny') || !matches('Allow')) return { allowed: false, statusCode: 403 };
  return { allowed: true, context: { ...(result.context ?? {}), principalId: result.principalId } };
}
