import { bucketResolution } from '../telemetry/keys.ts';

/**
 * The rules that tie a model's cron schedule, window extension and seasonal reference to its
 * window (docs/drift.md, "Sporadic and seasonal use"). Each broken rule is an issue on the field
 * at fault, so a bad model is a 400 naming it.
 */

/** The longest span a window may grow back to: a year. */
export const MAX_EXTENSION_DAYS = 366;
/** The most buckets a window may grow back over: a week of minute buckets (one Query each). */
export const MAX_EXTENSION_BUCKETS = 7 * 24 * 60;
/** The longest lag of a seasonal reference: two years (the window profiles are kept as long). */
export const MAX_LAG_DAYS = 731;

interface Schedule {
  readonly every?: string | undefined;
  readonly cron?: string | undefined;
  readonly timezone?: string | undefined;
  readonly window?: string | undefined;
  readonly extendUntilMinSamples?: string | undefined;
}

export interface RuleIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

/**
 * The issues of a model's schedule and reference; `seconds` reads an ISO duration (NaN when it
 * is not one: that field has its own issue already).
 */
export function seasonalScheduleIssues(
  schedule: Schedule | undefined,
  reference: { readonly lag?: string } | undefined,
  seconds: (duration: unknown) => number,
): RuleIssue[] {
  const issues: RuleIssue[] = [];
  if (schedule?.every !== undefined && schedule.cron !== undefined) {
    issues.push({ path: ['schedule', 'cron'], message: 'give schedule.every or schedule.cron, not both' });
  }
  if (schedule?.timezone !== undefined && schedule.cron === undefined) {
    issues.push({ path: ['schedule', 'timezone'], message: 'a time zone applies to schedule.cron only' });
  }
  const window = seconds(schedule?.window);
  if (!(window > 0)) return issues;
  if (schedule?.extendUntilMinSamples !== undefined) {
    const span = seconds(schedule.extendUntilMinSamples);
    const path = ['schedule', 'extendUntilMinSamples'];
    if (span < window) issues.push({ path, message: 'must be at least the window' });
    else if (span > MAX_EXTENSION_DAYS * 86400)
      issues.push({ path, message: `must be at most ${MAX_EXTENSION_DAYS} days` });
    else if (span / bucketResolution(window) > MAX_EXTENSION_BUCKETS)
      issues.push({
        path,
        message: `must span at most ${MAX_EXTENSION_BUCKETS} buckets of ${bucketResolution(window)} seconds (the window's)`,
      });
  }
  if (reference?.lag !== undefined) {
    const lag = seconds(reference.lag);
    const path = ['reference', 'lag'];
    if (lag < window) issues.push({ path, message: 'must be at least the window' });
    else if (lag > MAX_LAG_DAYS * 86400)
      issues.push({ path, message: `must be at most ${MAX_LAG_DAYS} days` });
  }
  return issues;
}
