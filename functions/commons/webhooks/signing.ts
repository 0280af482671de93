import { createHmac, randomBytes } from 'node:crypto';

/** The prefix of a webhook secret: `whsec_` and the base64 of the key (Standard Webhooks). */
export const SECRET_PREFIX = 'whsec_';
/** Random bytes of a new webhook's key. */
export const SECRET_BYTES = 32;

/** A new webhook secret: `whsec_` + base64 of {@link SECRET_BYTES} random bytes. */
export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/** The HMAC key of a secret: the base64-decoded part after `whsec_`. */
export function secretKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('A webhook secret starts with whsec_');
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  if (key.length < 24) throw new Error('A webhook secret carries at least 24 bytes');
  return key;
}

/**
 * The signature of one message per the Standard Webhooks specification: base64 of
 * HMAC-SHA256, keyed with the secret's key, over `{id}.{timestamp}.{body}`.
 */
export function signPayload(secret: string, id: string, timestamp: number, body: string): string {
  return createHmac('sha256', secretKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
}

/**
 * The headers of a signed webhook request: `webhook-id` (the same on every attempt),
 * `webhook-timestamp` (seconds since the epoch, of this attempt) and `webhook-signature`
 * (`v1,<signature>`).
 */
export function signatureHeaders(
  secret: string,
  id: string,
  timestamp: number,
  body: string,
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${signPayload(secret, id, timestamp, body)}`,
  };
}
