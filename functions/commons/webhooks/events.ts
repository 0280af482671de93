import { randomBytes } from 'node:crypto';

/**
 * The events a webhook may subscribe to. `webhook.test` is not among them: it is what
 * `POST /v1/webhooks/{id}/test` sends to the one webhook it names.
 */
export const webhookEventTypes = [
  'evaluation.breach',
  'incident.opened',
  'incident.step_waiting',
  'incident.decided',
  'incident.closed',
  'model.promoted',
  'model.rolled_back',
  'model.unapproved_version',
] as const;

export type WebhookEventType = (typeof webhookEventTypes)[number];

/** What a receiver gets (standard format): `{"type", "timestamp", "data"}`, signed with `id`. */
export interface WebhookEvent {
  /** The `webhook-id` of every attempt of every delivery of this event. */
  readonly id: string;
  readonly type: WebhookEventType | 'webhook.test';
  /** ISO 8601, when it happened. */
  readonly timestamp: string;
  readonly data: Record<string, unknown>;
}

/** Characters of one string value an event's data keeps; items of one list. */
export const MAX_DATA_STRING = 500;
export const MAX_DATA_ITEMS = 20;
/** Bytes of an event's data, as JSON, at most (far below SQS's 256 KB message). */
export const MAX_DATA_BYTES = 16 * 1024;

/** A new event id: `msg_` and 20 random bytes, base64url (the Standard Webhooks `webhook-id`). */
export function newEventId(): string {
  return `msg_${randomBytes(20).toString('base64url')}`;
}

/**
 * An event's data, bounded: strings clipped to {@link MAX_DATA_STRING} characters, lists to
 * {@link MAX_DATA_ITEMS} items, nesting to four levels; undefined values dropped. Data that
 * is still over {@link MAX_DATA_BYTES} keeps its identifiers only.
 */
export function boundedData(data: Record<string, unknown>): Record<string, unknown> {
  const bounded = bound(data, 0) as Record<string, unknown>;
  if (Buffer.byteLength(JSON.stringify(bounded)) <= MAX_DATA_BYTES) return bounded;
  return Object.fromEntries(
    Object.entries(bounded).filter(([key, value]) => /Id$/.test(key) && typeof value === 'string'),
  );
}

function bound(value: unknown, depth: number): unknown {
  if (typeof value === 'string')
    return value.length > MAX_DATA_STRING ? `${value.slice(0, MAX_DATA_STRING - 1)}…` : value;
  if (value === null || typeof value !== 'object') return typeof value === 'function' ? undefined : value;
  if (depth >= 4) return undefined;
  if (Array.isArray(value)) return value.slice(0, MAX_DATA_ITEMS).map((item) => bound(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value)
      .map(([key, child]) => [key, bound(child, depth + 1)] as const)
      .filter(([, child]) => child !== undefined),
  );
}
