import type { APIGatewayProxyEvent } from 'aws-lambda';
import { HttpError } from '#commons/http';

/** The largest form a page accepts: a decision with its comment and review fit easily. */
export const MAX_FORM_BYTES = 64 * 1024;

/**
 * The fields of an `application/x-www-form-urlencoded` body (API Gateway passes it as text: the
 * API declares no binary media types). 415 for another media type, 413 over the limit; a field
 * sent twice keeps its first value.
 */
export function parseForm(event: APIGatewayProxyEvent): Record<string, string> {
  const contentType = Object.entries(event.headers ?? {}).find(
    ([name]) => name.toLowerCase() === 'content-type',
  )?.[1];
  if (!contentType || !/^application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType)) {
    throw new HttpError(415, 'unsupported_media_type', 'Send the form as application/x-www-form-urlencoded.');
  }
  const raw = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
    : (event.body ?? '');
  if (Buffer.byteLength(raw) > MAX_FORM_BYTES) {
    throw new HttpError(413, 'payload_too_large', `The form exceeds ${MAX_FORM_BYTES} bytes.`);
  }
  // Field names are the sender's: a prototype-free object, so "__proto__" is a field like any other.
  const fields: Record<string, string> = Object.create(null);
  for (const [name, value] of new URLSearchParams(raw)) {
    if (!Object.hasOwn(fields, name)) fields[name] = value;
  }
  return fields;
}
