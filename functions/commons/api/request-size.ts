/**
 * Request size: the one body limit clients can rely on, and the front-door checks that keep every
 * request within Lambda's limit on the event API Gateway invokes a function with.
 *
 * Lambda refuses a synchronous invocation whose event (the proxy event as JSON) exceeds
 * {@link LAMBDA_EVENT_BYTES}; API Gateway then answers with its own 413, before any handler runs.
 * The API declares every media type binary, so a body with a media type travels in the event as
 * base64 (4 bytes for 3, never escaped) and one without as JSON-escaped text (up to 6
 * bytes for 1). The limits below keep either body within {@link EVENT_BODY_BYTES}, which leaves the
 * rest of the event (headers, query, request context) far more room than API Gateway lets a
 * request line and its headers take. The web ACL enforces them on `Content-Length` before API
 * Gateway invokes anything, and the local gateway applies the same rules (docs/architecture.md,
 * "Request size").
 */

/** Lambda's limit on a synchronous invocation's request: the proxy event, as JSON. */
export const LAMBDA_EVENT_BYTES = 6_291_456;
/** What of the event a body may take at most, once encoded; the rest is for headers, query and context. */
export const EVENT_BODY_BYTES = 6_000_000;
/** The largest body the API accepts on any route: its base64 takes {@link EVENT_BODY_BYTES}. */
export const MAX_BODY_BYTES = (EVENT_BODY_BYTES / 4) * 3;
/**
 * The largest body without a media type, which API Gateway passes as text: a control character
 * escapes to 6 bytes (`\u0001`), so its text takes at most {@link EVENT_BODY_BYTES}.
 */
export const MAX_UNTYPED_BODY_BYTES = EVENT_BODY_BYTES / 6;

/**
 * A `Content-Type` that API Gateway matches against the API's binary media type (any type): a type
 * and subtype made of token characters (RFC 9110), parameters after. Anything else is taken as no
 * media type at all, the stricter case.
 */
export const MEDIA_TYPE_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+[ \\t]*(;.*)?$";

/**
 * A regular expression matching the decimal numbers above `limit` (leading zeros allowed), for a
 * web ACL rule on `Content-Length`: AWS WAF compares headers as text, not as numbers.
 */
export function greaterThanPattern(limit: number): string {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new Error(`Not a byte count: ${limit}`);
  const digits = String(limit);
  const n = digits.length;
  // More digits than the limit, without leading zeros.
  const alternatives = [`[1-9][0-9]{${n},}`];
  // As many digits, larger at the first digit where they differ.
  for (let i = 0; i < n; i++) {
    const digit = Number(digits[i]);
    if (digit === 9) continue;
    const rest = n - i - 1;
    const next = digit + 1 === 9 ? '9' : `[${digit + 1}-9]`;
    alternatives.push(`${digits.slice(0, i)}${next}${rest > 0 ? `[0-9]{${rest}}` : ''}`);
  }
  return `^0*(${alternatives.join('|')})$`;
}

/** A refusal at the front door, in the API's own error shape. */
export interface FrontDoorRefusal {
  /** The web ACL's name for the rule and its response body. */
  readonly rule: 'ChunkedBody' | 'BodyTooLarge' | 'UntypedBodyTooLarge';
  readonly statusCode: number;
  readonly body: {
    readonly error: {
      readonly code: string;
      readonly message: string;
      readonly issues: readonly { readonly path: string; readonly message: string }[];
    };
  };
}

const refusal = (
  rule: FrontDoorRefusal['rule'],
  statusCode: number,
  code: string,
  message: string,
  issue: string,
): FrontDoorRefusal => ({
  rule,
  statusCode,
  body: { error: { code, message, issues: [{ path: '(body)', message: issue }] } },
});

/** The front door's refusals, in the order the web ACL evaluates them. */
export const frontDoorRefusals = {
  /** A chunked body has no length to check: its size is known only once all of it arrived. */
  chunked: refusal(
    'ChunkedBody',
    411,
    'length_required',
    'Send the body with a Content-Length header, not chunked',
    `chunked transfer encoding is not accepted; send at most ${MAX_BODY_BYTES} bytes with their Content-Length`,
  ),
  tooLarge: refusal(
    'BodyTooLarge',
    413,
    'payload_too_large',
    `The body exceeds ${MAX_BODY_BYTES} bytes`,
    `send at most ${MAX_BODY_BYTES} bytes`,
  ),
  untypedTooLarge: refusal(
    'UntypedBodyTooLarge',
    413,
    'payload_too_large',
    `A body without a media type exceeds ${MAX_UNTYPED_BODY_BYTES} bytes`,
    `send at most ${MAX_BODY_BYTES} bytes with a Content-Type such as application/json`,
  ),
} as const;

const mediaType = new RegExp(MEDIA_TYPE_PATTERN);
const overLimit = new RegExp(greaterThanPattern(MAX_BODY_BYTES));
const overUntypedLimit = new RegExp(greaterThanPattern(MAX_UNTYPED_BODY_BYTES));

/**
 * What the web ACL answers a request with, from its headers alone (`header` reads one by its
 * lower-case name), or undefined when it lets the request through. A missing or malformed
 * `Content-Length` without chunked encoding is left to the HTTP layer (no body, or a 400).
 */
export function frontDoorRefusal(header: (name: string) => string | undefined): FrontDoorRefusal | undefined {
  const transferEncoding = header('transfer-encoding');
  if (transferEncoding !== undefined && transferEncoding.length > 0) return frontDoorRefusals.chunked;
  const length = header('content-length');
  if (length === undefined) return undefined;
  if (overLimit.test(length)) return frontDoorRefusals.tooLarge;
  const type = header('content-type');
  if (overUntypedLimit.test(length) && (type === undefined || !mediaType.test(type))) {
    return frontDoorRefusals.untypedTooLarge;
  }
  return undefined;
}

/** Whether API Gateway, every media type being binary, passes a body of this `Content-Type` as base64. */
export function passedAsBase64(contentType: string | undefined): boolean {
  return contentType !== undefined && mediaType.test(contentType);
}
