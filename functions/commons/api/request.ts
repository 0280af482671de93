import type { APIGatewayProxyEvent } from 'aws-lambda';
import { parseJsonBytes, readBase64Body } from '#commons/api/json-body';
import { MAX_BODY_BYTES } from '#commons/api/request-size';
import { type ErrorIssue, HttpError } from '#commons/http';
import * as z from '#commons/zod';

/**
 * The largest body the API accepts on any route, the same number the web ACL checks before API
 * Gateway invokes a function (see `request-size.ts`: past it, Lambda could refuse the event).
 */
export { MAX_BODY_BYTES } from '#commons/api/request-size';

/** Dotted path of a zod issue, with array indexes in brackets: `records[3].features.age`. */
export function issuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(body)';
}

/** Issues listed in one error at most; the error's message says how many there were. */
export const MAX_LISTED_ISSUES = 50;

export function zodIssues(error: z.core.$ZodError, prefix: readonly PropertyKey[] = []): ErrorIssue[] {
  return error.issues.slice(0, MAX_LISTED_ISSUES).map((issue) => ({
    path: issuePath([...prefix, ...issue.path]),
    // A record's bad key: the key schema's own message says what is wrong with it.
    message: (issue.code === 'invalid_key' && issue.issues[0]?.message) || issue.message,
  }));
}

function invalid(error: z.core.$ZodError, what: string, prefix: readonly PropertyKey[] = []): HttpError {
  const count = error.issues.length;
  const more = count > MAX_LISTED_ISSUES ? ` (the first ${MAX_LISTED_ISSUES} are listed)` : '';
  return new HttpError(
    400,
    'invalid_request',
    `${what} has ${count} problem(s)${more}`,
    zodIssues(error, prefix),
  );
}

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value ?? undefined;
  }
  return undefined;
}

/**
 * Parses a JSON body against a schema. 415 for another media type, 413 over the limit, 400 for
 * malformed JSON or a body that breaks the schema, with every field at fault named.
 *
 * `accepted`, for the hottest routes, answers the schema's output for a body the schema accepts
 * as it is, checked more cheaply than by the schema, and undefined for any other body, which the
 * schema then parses (and refuses, naming the fields at fault). It must accept no body the
 * schema refuses, and answer what the schema would.
 */
export function parseBody<S extends z.core.$ZodType>(
  event: APIGatewayProxyEvent,
  schema: S,
  accepted?: (data: unknown) => z.output<S> | undefined,
): z.output<S> {
  const contentType = header(event, 'content-type');
  if (!contentType || !/^application\/(.+\+)?json\s*(;|$)/i.test(contentType)) {
    throw new HttpError(415, 'unsupported_media_type', 'Send the body as application/json', [
      { path: 'content-type', message: `expected application/json, got ${contentType ?? 'nothing'}` },
    ]);
  }
  const { data, surrogates, walk } = event.isBase64Encoded
    ? parseBase64Json(event.body ?? '')
    : parseTextJson(event.body ?? '');
  const { reserved, illFormed } = walk ? unsafeNames(data, surrogates) : { reserved: [], illFormed: [] };
  if (reserved.length + illFormed.length > 0) {
    const issues = [
      ...reserved.map((path) => ({
        path: issuePath(path),
        message: path.at(-2) === 'features' ? RESERVED_FEATURE_MESSAGE : RESERVED_MESSAGE,
      })),
      ...illFormed.map((path) => ({ path: issuePath(path), message: ILL_FORMED_MESSAGE })),
    ];
    throw new HttpError(
      400,
      'invalid_request',
      `The request has ${issues.length} problem(s)`,
      issues.slice(0, MAX_LISTED_ISSUES),
    );
  }
  const plain = accepted?.(data);
  if (plain !== undefined) return plain;
  const result = z.safeParse(schema, data);
  if (!result.success) throw invalid(result.error, 'The request');
  return result.data;
}

/**
 * A body's JSON value, and what its text may hold that {@link unsafeNames} looks for: `walk`
 * when it may hold a `__proto__` key or an escape, `surrogates` when it may hold a lone surrogate.
 */
interface BodyJson {
  readonly data: unknown;
  readonly surrogates: boolean;
  readonly walk: boolean;
}

function refuseTooLarge(bytes: number): void {
  if (bytes <= MAX_BODY_BYTES) return;
  throw new HttpError(413, 'payload_too_large', `The body exceeds ${MAX_BODY_BYTES} bytes`, [
    { path: '(body)', message: `${bytes} bytes; send at most ${MAX_BODY_BYTES}` },
  ]);
}

function invalidJson(error: unknown): HttpError {
  return new HttpError(400, 'invalid_json', 'The body is not valid JSON', [
    { path: '(body)', message: error instanceof Error ? error.message : 'malformed JSON' },
  ]);
}

/**
 * A base64 body (what API Gateway passes for a binary media type): sized from its base64,
 * decoded once to bytes, parsed from them (json-body.ts). Its text is UTF-8 decoded, which never
 * yields a lone surrogate: only a `\u` escape can write one.
 */
function parseBase64Json(body: string): BodyJson {
  const size = Buffer.byteLength(body, 'base64');
  refuseTooLarge(size);
  return readBase64Body(body, size, (bytes) => {
    let data: unknown;
    try {
      data = parseJsonBytes(bytes);
    } catch (error) {
      throw invalidJson(error);
    }
    const escapes = bytes.includes('\\u');
    return { data, surrogates: escapes, walk: escapes || bytes.includes('__proto__') };
  });
}

/**
 * A body passed as text: a key that is `__proto__` once parsed is written so in the text, or
 * with a `\u` escape; a lone surrogate is written raw or as a `\u` escape.
 */
function parseTextJson(body: string): BodyJson {
  refuseTooLarge(Buffer.byteLength(body));
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (error) {
    throw invalidJson(error);
  }
  const surrogates = MAY_HOLD_SURROGATE.test(body);
  return { data, surrogates, walk: surrogates || body.includes('__proto__') || body.includes('\\u') };
}

/**
 * {@link parseBody} for a schema with an asynchronous check (the model's cron schedule, whose
 * reader loads on first use): the same answers, the schema parsed with `safeParseAsync`.
 */
export async function parseBodyAsync<S extends z.core.$ZodType>(
  event: APIGatewayProxyEvent,
  schema: S,
): Promise<z.output<S>> {
  const data = parseBody(event, z.unknown());
  const result = await z.safeParseAsync(schema, data);
  if (!result.success) throw invalid(result.error, 'The request');
  return result.data;
}

/**
 * Names that would reach an object's prototype rather than the object when used as keys.
 * JSON.parse keeps `__proto__` as an own key, which the schemas would silently drop (zod
 * assigns it, which sets a prototype); every name of the API refuses all three.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const RESERVED_MESSAGE = 'a reserved name (__proto__, constructor and prototype are never names)';
const RESERVED_FEATURE_MESSAGE = 'unknown feature: __proto__, constructor and prototype are reserved names';

/** Refuses the reserved names: for the keys of records and for declared names alike. */
export function notReserved(name: string): boolean {
  return !RESERVED_NAMES.has(name);
}
export const reservedNameIssue = { message: RESERVED_MESSAGE } as const;

/**
 * A lone surrogate: half of a UTF-16 pair without the other half. JSON escapes (`"\ud800"`)
 * can carry one, but no UTF-8 text can: DynamoDB, SNS and every page would store or show
 * something else than what was validated (a replacement character, or a refused write).
 */
const LONE_SURROGATE = /\p{Cs}/u;
/** Text that may decode to a lone surrogate: a surrogate's escape, or one as it is. */
const MAY_HOLD_SURROGATE = /\\u[dD][89a-fA-F]|\p{Cs}/u;
const ILL_FORMED_MESSAGE = 'not well-formed Unicode: a lone surrogate (\\ud800-\\udfff without its pair)';

/**
 * Paths of every `__proto__` key in a parsed JSON document, which no schema could see, and (when
 * its text may hold one) of every key or string holding a lone surrogate, in one walk.
 */
function unsafeNames(
  data: unknown,
  surrogates: boolean,
): { reserved: PropertyKey[][]; illFormed: PropertyKey[][] } {
  const reserved: PropertyKey[][] = [];
  const illFormed: PropertyKey[][] = [];
  const lone = (text: string) => surrogates && LONE_SURROGATE.test(text);
  if (typeof data === 'string' && lone(data)) illFormed.push([]);
  const stack: { value: unknown; path: PropertyKey[] }[] = [{ value: data, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop() as { value: unknown; path: PropertyKey[] };
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        const child: unknown = value[i];
        if (child !== null && typeof child === 'object') stack.push({ value: child, path: [...path, i] });
        else if (typeof child === 'string' && lone(child)) illFormed.push([...path, i]);
      }
    } else if (value !== null && typeof value === 'object') {
      if (Object.hasOwn(value, '__proto__')) reserved.push([...path, '__proto__']);
      for (const [key, child] of Object.entries(value)) {
        if (lone(key)) illFormed.push([...path, key]);
        if (child !== null && typeof child === 'object') stack.push({ value: child, path: [...path, key] });
        else if (typeof child === 'string' && lone(child)) illFormed.push([...path, key]);
      }
    }
  }
  return { reserved, illFormed };
}

/** Validates path and query parameters; a bad one is a 400 naming it. */
export function parseParams<S extends z.core.$ZodType>(
  values: Record<string, string | undefined> | null,
  schema: S,
  where: 'path' | 'query',
): z.output<S> {
  const result = z.safeParse(schema, values ?? {});
  if (!result.success) throw invalid(result.error, `The ${where}`, [where]);
  return result.data;
}
