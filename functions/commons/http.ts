import type { APIGatewayProxyResult } from 'aws-lambda';

/** One problem with a request, named by the path of the field it concerns. */
export interface ErrorIssue {
  readonly path: string;
  readonly message: string;
}

/** The JSON error body every route answers with: `{"error": {code, message, issues}}`. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly issues: readonly ErrorIssue[] };
}

/** A failure meant for the client: its status, a stable code, and the fields at fault. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly issues: readonly ErrorIssue[] = [],
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const baseHeaders = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

export function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return { statusCode, headers: { ...baseHeaders, ...headers }, body: JSON.stringify(body) };
}

export function errorResponse(error: HttpError): APIGatewayProxyResult {
  const body: ErrorBody = { error: { code: error.code, message: error.message, issues: error.issues } };
  return json(error.statusCode, body);
}
