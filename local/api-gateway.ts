import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import {
  frontDoorRefusal,
  LAMBDA_EVENT_BYTES,
  passedAsBase64,
} from '../functions/commons/api/request-size.ts';
import type { RouteDefinition } from '../lib/routes.ts';

/** What API Gateway accepts in one request body (10 MB); larger bodies get 413 before any handler runs. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

export class PayloadTooLargeError extends Error {}

/**
 * Reads a request body as the UTF-8 text API Gateway passes a function (see {@link toProxyEvent}),
 * refusing more than `limit` bytes. Each chunk is decoded as it arrives (a character split
 * between chunks is decoded whole, and invalid bytes become U+FFFD, as `Buffer.toString` does),
 * and the text is the chunks' strings joined: no copy of the whole body as bytes, and no second
 * copy as text until the text is read.
 */
export async function readBodyText(request: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  const decoder = new StringDecoder('utf8');
  let text = '';
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new PayloadTooLargeError(`Request body exceeds ${limit} bytes`);
    text += decoder.write(chunk as Buffer);
  }
  return text + decoder.end();
}

/** A body already base64-encoded, as API Gateway passes one of a binary media type. */
export class Base64Body {
  constructor(
    readonly base64: string,
    /** Bytes of the body. */
    readonly length: number,
  ) {}
}

/**
 * Reads a request body as its base64 (see {@link toProxyEvent}), refusing more than `limit`
 * bytes. Each chunk is encoded as it arrives (the 0 to 2 bytes past its last whole group of 3
 * are carried to the next), and the event's string is the pieces joined: no copy of the whole
 * body as bytes, and no copy of its base64 but the event's.
 */
export async function readBodyBase64(request: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Base64Body> {
  const pieces: string[] = [];
  let carried = Buffer.alloc(0);
  let size = 0;
  for await (const data of request) {
    const chunk = data as Buffer;
    size += chunk.length;
    if (size > limit) throw new PayloadTooLargeError(`Request body exceeds ${limit} bytes`);
    let start = 0;
    if (carried.length > 0) {
      start = Math.min(3 - carried.length, chunk.length);
      carried = Buffer.concat([carried, chunk.subarray(0, start)]);
      if (carried.length < 3) continue;
      pieces.push(carried.toString('base64'));
    }
    const end = start + Math.floor((chunk.length - start) / 3) * 3;
    if (end > start) pieces.push(chunk.toString('base64', start, end));
    carried = Buffer.from(chunk.subarray(end));
  }
  if (carried.length > 0) pieces.push(carried.toString('base64'));
  return new Base64Body(pieces.join(''), size);
}

/**
 * What the stage's web ACL answers before API Gateway does anything else: a chunked body, or a
 * `Content-Length` past the body limit, is refused with the API's JSON error naming `(body)`, as
 * the web ACL's size rules do (`lib/constructs/api-firewall.ts`, from the same constants).
 */
export function frontDoorResult(request: IncomingMessage): APIGatewayProxyResult | undefined {
  const refused = frontDoorRefusal((name) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value[0] : value;
  });
  if (!refused) return undefined;
  return {
    statusCode: refused.statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(refused.body),
  };
}

/**
 * What API Gateway answers when Lambda refuses the event it invokes a function with, past
 * {@link LAMBDA_EVENT_BYTES} as JSON: its own 413, not the function's, and no function runs
 * (the response as observed from a deployed REST API; docs/architecture.md, "Request size").
 */
export const EVENT_TOO_LARGE_RESULT: APIGatewayProxyResult = {
  statusCode: 413,
  headers: { 'content-type': 'application/json', 'x-amzn-ErrorType': 'BadRequestException' },
  body: '{"message": "Request Too Long"}',
};

/** The size of a proxy event as Lambda counts it, its JSON in UTF-8, without a second copy of a base64 body. */
export function lambdaEventBytes(event: APIGatewayProxyEvent): number {
  const { body } = event;
  const rest = Buffer.byteLength(JSON.stringify({ ...event, body: null })) - 'null'.length;
  if (body === null) return rest + 'null'.length;
  // Base64 never needs escaping in a JSON string; text may (a control character takes 6 bytes).
  return rest + (event.isBase64Encoded ? body.length + 2 : Buffer.byteLength(JSON.stringify(body)));
}

/** API Gateway's answer when Lambda would refuse this event, else undefined (the function may run). */
export function lambdaEventRefusal(event: APIGatewayProxyEvent): APIGatewayProxyResult | undefined {
  const size = lambdaEventBytes(event);
  if (size <= LAMBDA_EVENT_BYTES) return undefined;
  console.error(
    `vigil: the event is ${size} bytes, past Lambda's ${LAMBDA_EVENT_BYTES} for a request (RequestEntityTooLargeException)`,
  );
  return EVENT_TOO_LARGE_RESULT;
}

export interface MatchedRoute {
  readonly route: RouteDefinition;
  readonly pathParameters: Record<string, string>;
}

/** Finds the route for a method and path the way API Gateway does: literal segments win over parameters. */
export function matchRoute(
  routes: readonly RouteDefinition[],
  method: string,
  path: string,
): MatchedRoute | { readonly methodNotAllowed: boolean } {
  const segments = path.split('/').filter(Boolean);
  let pathMatched = false;
  let best: { match: MatchedRoute; literals: number } | undefined;
  for (const route of routes) {
    const template = route.path.split('/').filter(Boolean);
    if (template.length !== segments.length) continue;
    const pathParameters: Record<string, string> = {};
    let literals = 0;
    const matches = template.every((part, i) => {
      const segment = segments[i] as string;
      if (part.startsWith('{') && part.endsWith('}')) {
        pathParameters[part.slice(1, -1)] = decodeSegment(segment);
        return true;
      }
      literals++;
      return part === segment;
    });
    if (!matches) continue;
    pathMatched = true;
    if (route.method !== method) continue;
    if (!best || literals > best.literals) best = { match: { route, pathParameters }, literals };
  }
  return best ? best.match : { methodNotAllowed: pathMatched };
}

/**
 * A path segment, percent-decoded; one that does not decode (a malformed escape, bytes that are
 * not UTF-8) stays as sent, for the handler to refuse like any other bad parameter.
 */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Turns a Node.js request into the API Gateway REST (v1) proxy event that the deployed
 * integration would send, so the very same handler serves both.
 */
export function toProxyEvent(
  request: IncomingMessage,
  body: Buffer | string | Base64Body,
  matched: MatchedRoute,
  authorizer?: Record<string, string | number | boolean>,
): APIGatewayProxyEvent {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i] as string;
    const value = request.rawHeaders[i + 1] as string;
    headers[name] = value;
    append(multiValueHeaders, name, value);
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    append(multiQuery, name, value);
  }
  const now = Date.now();
  const sourceIp = request.socket.remoteAddress ?? '127.0.0.1';
  // The API declares every media type binary: a body with one is passed as base64, as it came.
  const base64 = body.length > 0 && passedAsBase64(request.headers['content-type']);
  return {
    resource: matched.route.path,
    path: url.pathname,
    httpMethod: request.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: url.searchParams.size > 0 ? query : null,
    multiValueQueryStringParameters: url.searchParams.size > 0 ? multiQuery : null,
    pathParameters: Object.keys(matched.pathParameters).length > 0 ? matched.pathParameters : null,
    stageVariables: null,
    // A body without a media type is passed as UTF-8 text.
    body: body.length === 0 ? null : base64 ? base64Of(body) : textOf(body),
    isBase64Encoded: base64,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: authorizer ?? null,
      protocol: `HTTP/${request.httpVersion}`,
      httpMethod: request.method ?? 'GET',
      path: url.pathname,
      stage: 'local',
      requestId: randomUUID(),
      requestTimeEpoch: now,
      resourceId: 'local',
      resourcePath: matched.route.path,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp,
        user: null,
        userAgent: request.headers['user-agent'] ?? null,
        userArn: null,
      },
    },
  };
}

function base64Of(body: Buffer | string | Base64Body): string {
  if (body instanceof Base64Body) return body.base64;
  return (typeof body === 'string' ? Buffer.from(body, 'utf8') : body).toString('base64');
}

function textOf(body: Buffer | string | Base64Body): string {
  if (body instanceof Base64Body) return Buffer.from(body.base64, 'base64').toString('utf8');
  return typeof body === 'string' ? body : body.toString('utf8');
}

function append(map: Record<string, string[]>, name: string, value: string): void {
  const values = map[name];
  if (values) values.push(value);
  else map[name] = [value];
}

/** A Lambda context for a local invocation of `functionName`. */
export function lambdaContext(functionName: string, timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  const fail = () => {
    throw new Error('Legacy Lambda callbacks are not supported');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: fail,
    fail,
    succeed: fail,
  };
}

/**
 * Lambda's limit on a synchronous invocation's response, the proxy result's JSON: a function
 * that returns more fails with `Function.ResponseSizeTooLarge`.
 */
export const MAX_LAMBDA_RESPONSE_BYTES = 6_291_556;

/**
 * Writes a handler's result as API Gateway would after invoking its function: a result past
 * Lambda's response limit is an invocation error, which API Gateway answers with 502 and its own
 * `{"message": "Internal server error"}`.
 */
export function sendLambdaResult(response: ServerResponse, result: APIGatewayProxyResult): void {
  const size = Buffer.byteLength(JSON.stringify(result), 'utf8');
  if (size > MAX_LAMBDA_RESPONSE_BYTES) {
    console.error(
      `vigil: the function's response is ${size} bytes, past Lambda's ${MAX_LAMBDA_RESPONSE_BYTES} (Function.ResponseSizeTooLarge)`,
    );
    sendProxyResult(response, {
      statusCode: 502,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'Internal server error' }),
    });
    return;
  }
  sendProxyResult(response, result);
}

/** Writes a handler's proxy result to the Node.js response, as API Gateway would. */
export function sendProxyResult(response: ServerResponse, result: APIGatewayProxyResult): void {
  const body = result.isBase64Encoded
    ? Buffer.from(result.body, 'base64')
    : Buffer.from(result.body ?? '', 'utf8');
  for (const [name, value] of Object.entries(result.headers ?? {})) response.setHeader(name, String(value));
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    response.setHeader(
      name,
      values.map((v) => String(v)),
    );
  }
  response.setHeader('content-length', body.length);
  response.statusCode = result.statusCode;
  response.end(body);
}

/** A JSON error in the API's own error shape, for failures that happen before any handler. */
export function sendError(response: ServerResponse, statusCode: number, code: string, message: string): void {
  sendProxyResult(response, {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ error: { code, message, issues: [] } }),
  });
}
