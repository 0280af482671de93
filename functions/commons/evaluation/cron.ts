import { Cron } from 'croner';
import * as z from '#commons/zod';

/**
 * Cron schedules (`schedule.cron` in `schedule.timezone`): the times a model is evaluated, for
 * models used at set hours or days rather than all the time. The expressions are standard
 * five-field crontab lines (minute hour day-of-month month day-of-week, with ranges, steps,
 * lists and names; a day-of-month and a day-of-week both given match either, as in Vixie cron),
 * read by `croner` in the model's IANA time zone (through `Intl`), so "06:00 on weekdays in
 * Europe/Berlin" stays 06:00 local time across daylight-saving changes.
 */

/** The zone of a cron schedule that names none. */
export const DEFAULT_TIMEZONE = 'UTC';

/** What a cron schedule needs of a model's `schedule`. */
export interface CronSchedule {
  readonly cron?: string | undefined;
  readonly timezone?: string | undefined;
}

/** Why `expression` is not a cron expression Vigil runs, or undefined when it is one. */
export function cronIssue(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) {
    return 'a cron expression of five fields: minute hour day-of-month month day-of-week, such as "0 6 * * 1-5"';
  }
  try {
    pattern(expression, DEFAULT_TIMEZONE);
    return undefined;
  } catch (error) {
    return `not a valid cron expression: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** Whether `zone` is an IANA time zone this runtime knows (e.g. "Europe/Berlin", "UTC"). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const cronSchema = z.string().check(
  z.maxLength(200),
  z.superRefine((expression, ctx) => {
    const issue = cronIssue(expression);
    if (issue) ctx.addIssue({ code: 'custom', message: issue });
  }),
);

export const timezoneSchema = z
  .string()
  .check(z.maxLength(64), z.refine(isTimeZone, 'an IANA time zone such as "Europe/Berlin" or "UTC"'));

/**
 * A five-field pattern in `timezone`, evaluated only (no job is scheduled): day-of-month and
 * day-of-week combine with OR, Sunday is 0 or 7, and a step may start at a number (`5/15`), as
 * crontab reads them. A local time that a daylight-saving change skips fires at the first
 * minute after the gap; one that occurs twice fires once.
 */
function pattern(expression: string, timezone: string): Cron {
  return new Cron(expression, { mode: '5-part', domAndDow: false, sloppyRanges: true, timezone });
}

function expression(schedule: CronSchedule): Cron {
  if (schedule.cron === undefined) throw new Error('not a cron schedule');
  return pattern(schedule.cron, schedule.timezone ?? DEFAULT_TIMEZONE);
}

/** The latest fire time of the schedule at or before `now`, or undefined when it never fired. */
export function latestFire(schedule: CronSchedule, now: Date): Date | undefined {
  // Fire times are whole minutes; the runs croner lists are strictly before the reference.
  return expression(schedule).previousRuns(1, new Date(now.getTime() + 1))[0];
}

/** The first fire time of the schedule after `now`. */
export function nextFire(schedule: CronSchedule, now: Date): Date {
  const next = expression(schedule).nextRun(now);
  if (!next) throw new Error(`The schedule ${schedule.cron} never fires after ${now.toISOString()}`);
  return next;
}
