import { CronExpressionParser } from 'cron-parser';
import * as z from '#commons/zod';

/**
 * Cron schedules (`schedule.cron` in `schedule.timezone`): the times a model is evaluated, for
 * models used at set hours or days rather than all the time. The expressions are standard
 * five-field crontab lines (minute hour day-of-month month day-of-week, with ranges, steps,
 * lists and names), read by `cron-parser` in the model's IANA time zone, so "06:00 on weekdays
 * in Europe/Berlin" stays 06:00 local time across daylight-saving changes.
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
    CronExpressionParser.parse(expression);
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

function expression(schedule: CronSchedule, at: Date) {
  if (schedule.cron === undefined) throw new Error('not a cron schedule');
  return CronExpressionParser.parse(schedule.cron, {
    currentDate: at,
    tz: schedule.timezone ?? DEFAULT_TIMEZONE,
  });
}

/** The latest fire time of the schedule at or before `now`, or undefined when it never fired. */
export function latestFire(schedule: CronSchedule, now: Date): Date | undefined {
  // The parser's `prev` is strictly before its current date: start a millisecond after now.
  const times = expression(schedule, new Date(now.getTime() + 1));
  return times.hasPrev() ? times.prev().toDate() : undefined;
}

/** The first fire time of the schedule after `now`. */
export function nextFire(schedule: CronSchedule, now: Date): Date {
  return expression(schedule, now).next().toDate();
}
