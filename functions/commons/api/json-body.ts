import { isAscii } from 'node:buffer';
import { MAX_BODY_BYTES } from '#commons/api/request-size';

/**
 * JSON bodies as bytes: the API declares every media type binary, so a JSON body reaches its
 * function base64-encoded (request-size.ts). A body is decoded once, into bytes, and parsed
 * from them without ever holding its whole text when it is a batch: a string past V8's largest
 * regular object (128 KiB) is a large object, whose fresh memory costs more to create than its
 * parse, and a batch of 500 predictions is about 166 KB.
 */

/** The key of the large array a batch body carries (predictions, actuals, metric points, a baseline). */
const SPLIT_KEY = 'records';
/** Text per piece of a split array: well under V8's largest regular object. */
const PIECE_BYTES = 64 * 1024;

/**
 * The buffer base64 bodies are decoded into, kept between requests rather than allocated for
 * each: only {@link readBase64Body}'s synchronous callback reads it.
 */
let scratch = Buffer.alloc(0);

/**
 * Decodes a base64 body once and hands its bytes to `read`, which must be done with them when it
 * returns (the next body is decoded into the same memory). `size` is their count as
 * `Buffer.byteLength(body, 'base64')` gives it, which the caller checks against its limit first.
 */
export function readBase64Body<T>(body: string, size: number, read: (bytes: Buffer) => T): T {
  if (scratch.length < size) {
    scratch = Buffer.allocUnsafeSlow(Math.max(size, Math.min(2 * scratch.length, MAX_BODY_BYTES)));
  }
  return read(scratch.subarray(0, decodeBase64Into(scratch, body, size)));
}

/** Base64 characters decoded per step: a multiple of 4, so that each step ends on whole groups. */
const BASE64_STEP = 64 * 1024;

/**
 * Decodes `body` into `into`, answering the bytes written. Node.js copies a string's characters
 * out of the V8 heap before decoding them, so a long body is decoded a step at a time: the copy
 * stays small, in memory malloc reuses. Steps decode what the whole string does when every
 * character is base64 (API Gateway's encoding); a string with any other character, which
 * Node.js skips, writes fewer bytes than `size` that way, and is decoded again whole.
 */
function decodeBase64Into(into: Buffer, body: string, size: number): number {
  let written = 0;
  for (let start = 0; start < body.length && written <= size; start += BASE64_STEP) {
    written += into.write(body.slice(start, start + BASE64_STEP), written, size - written, 'base64');
  }
  return written === size ? written : into.write(body, 0, size, 'base64');
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/**
 * `JSON.parse` of the UTF-8 text of `bytes`: the same value, or the same error. An object whose
 * last member is a large `records` array of objects, `{"records": [{...}, {...}, ...]}` written
 * compactly or with spaces, is parsed in pieces of about {@link PIECE_BYTES}: the members and the
 * first records, then the rest of the records a few hundred at a time. Any other text, or one
 * whose pieces do not all parse, is parsed whole, which gives `JSON.parse`'s own error.
 */
export function parseJsonBytes(bytes: Buffer): unknown {
  const text = isAscii(bytes)
    ? (start: number, end: number) => bytes.toString('latin1', start, end)
    : (start: number, end: number) => bytes.toString('utf8', start, end);
  if (bytes.length > PIECE_BYTES) {
    const value = parseInPieces(bytes, text);
    if (value !== undefined) return value;
  }
  return JSON.parse(text(0, bytes.length));
}

/**
 * The pieces, each parsed on its own, and why their values are the whole text's:
 * - the key: the first `"records"` after `{` or `,` and before `:` and `[` (a quote after them is
 *   not escaped, so it opens a key or the text is not JSON);
 * - the head, the text up to the end of the first record past {@link PIECE_BYTES}, closed with
 *   `]}`: it parses only if, there, the one open array is a member of the top-level object, and
 *   with no `]` since the key's `[` that array is the key's, still open; its parse has every
 *   member before it (a repeated key is the last one's, as in the whole text);
 * - each next piece starts after a comma at that array's level and ends with a record (`}`
 *   before a comma and a `{`), and parses as `[piece]` only if it holds whole values;
 * - the last piece ends at the `]` before the text's final `}`, so that array is the last member.
 * Every cut falls on an ASCII byte, so each piece decodes to the whole text's characters.
 * Undefined when the text has another shape or a piece does not parse.
 */
function parseInPieces(bytes: Buffer, text: (start: number, end: number) => string): unknown {
  const key = bytes.indexOf(`"${SPLIT_KEY}"`);
  if (key < 0) return undefined;
  const before = skipBack(bytes, key - 1);
  if (bytes[before] !== OPEN_BRACE && bytes[before] !== COMMA) return undefined;
  const colon = skip(bytes, key + SPLIT_KEY.length + 2);
  if (bytes[colon] !== COLON) return undefined;
  const open = skip(bytes, colon + 1);
  if (bytes[open] !== OPEN_BRACKET) return undefined;
  const end = skipBack(bytes, bytes.length - 1);
  if (bytes[end] !== CLOSE_BRACE) return undefined;
  const close = skipBack(bytes, end - 1);
  if (bytes[close] !== CLOSE_BRACKET) return undefined;

  const first = nextRecordEnd(bytes, open + PIECE_BYTES, close);
  if (first === undefined) return undefined;
  const bracket = bytes.indexOf(CLOSE_BRACKET, open + 1);
  if (bracket >= 0 && bracket < first.end) return undefined;
  try {
    const head: unknown = JSON.parse(`${text(0, first.end)}]}`);
    const records = (head as Record<string, unknown>)[SPLIT_KEY];
    if (!Array.isArray(records)) return undefined;
    let start = first.next;
    for (let cut = nextRecordEnd(bytes, start + PIECE_BYTES, close); cut; ) {
      for (const record of JSON.parse(`[${text(start, cut.end)}]`) as unknown[]) records.push(record);
      start = cut.next;
      cut = nextRecordEnd(bytes, start + PIECE_BYTES, close);
    }
    for (const record of JSON.parse(`[${text(start, close)}]`) as unknown[]) records.push(record);
    return head;
  } catch {
    return undefined;
  }
}

/**
 * The first `}` at or after `from` and before `limit` followed by a comma and a `{` (whitespace
 * between): where a piece may end (`end`, after the `}`) and the next begin (`next`, at the `{`).
 */
function nextRecordEnd(
  bytes: Buffer,
  from: number,
  limit: number,
): { end: number; next: number } | undefined {
  for (let brace = bytes.indexOf(CLOSE_BRACE, from); brace >= 0 && brace < limit; ) {
    const comma = skip(bytes, brace + 1);
    if (bytes[comma] === COMMA) {
      const next = skip(bytes, comma + 1);
      if (bytes[next] === OPEN_BRACE && next < limit) return { end: brace + 1, next };
    }
    brace = bytes.indexOf(CLOSE_BRACE, brace + 1);
  }
  return undefined;
}

/** JSON's whitespace: space, tab, line feed, carriage return. */
const isSpace = (byte: number | undefined) =>
  byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

/** The first index at or after `i` that is not JSON whitespace. */
function skip(bytes: Buffer, i: number): number {
  while (isSpace(bytes[i])) i++;
  return i;
}

/** The last index at or before `i` that is not JSON whitespace (-1 if none). */
function skipBack(bytes: Buffer, i: number): number {
  while (isSpace(bytes[i])) i--;
  return i;
}
