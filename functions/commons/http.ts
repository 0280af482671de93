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

/**
 * Longest path or message of an issue, in UTF-16 units. A path can hold a client's key and a
 * message a client's text (zod lists every unrecognized key in one): cut, an answer listing 50
 * issues stays far below Lambda's 6 MB response, and the log line of a refusal stays small.
 */
export const MAX_ISSUE_TEXT = 512;

function bounded(text: string): string {
  if (text.length <= MAX_ISSUE_TEXT) return text;
  let end = MAX_ISSUE_TEXT - 1;
  // Never half a surrogate pair.
  if (/[\ud800-\udbff]/.test(text.charAt(end - 1))) end--;
  return `${text.slice(0, end)}…`;
}

/** A failure meant for the client: its status, a stable code, and the fields at fault. */
export class HttpError extends Error {
  readonly issues: readonly ErrorIssue[];

  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    issues: readonly ErrorIssue[] = [],
  ) {
    super(message);
    this.name = 'HttpError';
    this.issues = issues.map((issue) => ({ path: bounded(issue.path), message: bounded(issue.message) }));
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
