/**
 * When a delivery that failed for a passing reason (5xx, 429, timeout, connection error) is
 * tried again: exponentially later, the first retry within ten seconds, for 24 hours after the
 * first attempt; then it is given up and kept in the webhook's failures.
 */
export const FIRST_RETRY_SECONDS = 5;
/** Each wait is this many times the one before... */
export const BACKOFF_FACTOR = 4;
/** ...up to this long. */
export const MAX_RETRY_SECONDS = 4 * 3600;
/** No attempt starts later than this after the first. */
export const RETRY_WINDOW_SECONDS = 24 * 3600;

/**
 * Seconds to wait before attempt `attempt + 1` after attempt `attempt` (1 = the first) failed,
 * or undefined when that attempt would start more than {@link RETRY_WINDOW_SECONDS} after the
 * first one: 5 s, 20 s, 80 s, 320 s, 21 min, 85 min, 4 h, 4 h...
 */
export function retryDelaySeconds(attempt: number, secondsSinceFirst: number): number | undefined {
  const delay = Math.min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * BACKOFF_FACTOR ** Math.max(0, attempt - 1));
  return secondsSinceFirst + delay > RETRY_WINDOW_SECONDS ? undefined : delay;
}

/** The longest delay SQS gives one message (DelaySeconds): longer waits are taken in hops. */
export const MAX_QUEUE_DELAY_SECONDS = 900;
