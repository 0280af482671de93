/**
 * How long before its request expires a waiting task counts as lapsed already, at most: Step
 * Functions counts a step's timeout from when the step began, a moment before its request was
 * sent (the request's `expiresAt` counts from then). A tenth of a shorter timeout.
 */
export const LAPSE_MARGIN_MS = 30_000;

/**
 * Whether the request of a waiting human-step task has lapsed at `now`: its step timed out, or is
 * about to, and a reminder asks again with a new task. An answer to a lapsed request is refused
 * (409) before anything is written, rather than written and then refused by Step Functions.
 */
export function requestLapsed(
  task: { readonly requestedAt: string; readonly expiresAt: string },
  now = Date.now(),
): boolean {
  return Date.parse(task.expiresAt) <= Date.parse(lapseCutoff(task, now));
}

/**
 * The earliest `expiresAt` a task may have at `now` and not be lapsed, as an ISO timestamp: the
 * value a conditional write compares the stored `expiresAt` with (`expiresAt > :cutoff`), so that
 * a task that lapsed since it was read is refused by the write itself, not only by the check
 * before it.
 */
export function lapseCutoff(
  task: { readonly requestedAt: string; readonly expiresAt: string },
  now = Date.now(),
): string {
  const expiresAt = Date.parse(task.expiresAt);
  const margin = Math.min(LAPSE_MARGIN_MS, (expiresAt - Date.parse(task.requestedAt)) / 10);
  return new Date(now + margin).toISOString();
}
