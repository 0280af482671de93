import type { APIGatewayProxyEvent } from 'aws-lambda';

/** Where a request came from, for the audit trail: the caller's address and user agent. */
export interface RequestOrigin {
  readonly sourceIp?: string;
  readonly userAgent?: string;
}

export function requestOrigin(event: APIGatewayProxyEvent): RequestOrigin {
  const sourceIp = event.requestContext.identity?.sourceIp;
  const userAgent = Object.entries(event.headers ?? {}).find(
    ([name]) => name.toLowerCase() === 'user-agent',
  )?.[1];
  return { ...(sourceIp ? { sourceIp } : {}), ...(userAgent ? { userAgent } : {}) };
}
