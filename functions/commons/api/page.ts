import { HttpError } from '#commons/http';
import * as z from '#commons/zod';

/** A DynamoDB key of string attributes, as a list route's `nextToken` carries it. */
const pageKeySchema = z.record(
  z.string().check(z.regex(/^[A-Za-z0-9]{1,16}$/)),
  z.string().check(z.maxLength(2048)),
);

/** The `nextToken` of a page that has more after it: its last key, as base64url JSON. */
export function encodePageToken(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key), 'utf8').toString('base64url') : undefined;
}

/**
 * The key a `nextToken` resumes from, or a 400 naming `nextToken` when it is not one this route
 * gave out (`belongs` checks it is a key of the same listing).
 */
export function decodePageToken(
  token: string | undefined,
  belongs: (key: Record<string, string>) => boolean,
): Record<string, string> | undefined {
  if (token === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const key = pageKeySchema.safeParse(parsed);
  if (!key.success || !belongs(key.data)) {
    throw new HttpError(400, 'invalid_request', 'The query has 1 problem(s)', [
      {
        path: 'query.nextToken',
        message: 'not a nextToken of this listing; send the one the previous page returned',
      },
    ]);
  }
  return key.data;
}
