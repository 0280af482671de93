import type { Cron } from 'croner';

/**
 * Cron schedules (`schedule.cron` in `schedule.timezone`): the times a model is evaluated, for
 * models used at set hours or days rather than all the time. The expressions are standard
 * five-field crontab lines (minute hour day-of-month month day-of-week, with ranges, steps,
 * lists and names; a day-of-month and a day-of-week both given match either, as in Vixie cron),
 * read by `croner` in the model's IANA time zone (through `Intl`), so "06:00 on weekdays in
 * Europe/Berlin" stays 06:00 local time across daylight-saving changes.
 *
 * croner loads on the first expression read or validated (`cron-engine.ts`, a lazy chunk), so
 * the functions that import this module start without it: reading and checking a schedule is
 * asynchronous. The model schema's check of `schedule.cron` is an async refinement: a body that
 * may hold one parses with `safeParseAsync` (`parseBodyAsync`); a synchronous parse of a model
 * with a cron schedule throws.
 */

/** The zone of a cron schedule that names none. */
export const DEFAULT_TIMEZONE = 'UTC';

/** What a cron schedule needs of a model's `schedule`. */
export interface CronSchedule {
  readonly cron?: string | undefined;
  readonly timezone?: string | undefined;
}

type Engine = typeof import('./cron-engine.ts');
let engine: Promise<Engine> | undefined;

/** croner and Vigil's reading of it, loaded on the first call (once per container), not at load. */
function loadEngine(): Promise<Engine> {
  engine ??= import('./cron-engine.ts');
  return engine;
}

/**
 * Why `expression` is not a cron expression Vigil runs, or undefined when it is one. An
 * expression without five fields is refused without loading croner.
 */
export async function cronIssue(expression: string): Promise<string | undefined> {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) {
    return 'a cron expression of five fields: minute hour day-of-month month day-of-week, such as "0 6 * * 1-5"';
  }
  const { cronPattern } = await loadEngine();
  try {
    cronPattern(expression, DEFAULT_TIMEZONE);
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

async function expression(schedule: CronSchedule): Promise<Cron> {
  if (schedule.cron === undefined) throw new Error('not a cron schedule');
  const { cronPattern } = await loadEngine();
  return cronPattern(schedule.cron, schedule.timezone ?? DEFAULT_TIMEZONE);
}

/** The latest fire time of the schedule at or before `now`, or undefined when it never fired. */
export async function latestFire(schedule: CronSchedule, now: Date): Promise<Date | undefined> {
  // Fire times are whole minutes; the runs croner lists are strictly before the reference.
  return (await expression(schedule)).previousRuns(1, new Date(now.getTime() + 1))[0];
}

/** The first fire time of the schedule after `now`. */
export async function nextFire(schedule: CronSchedule, now: Date): Promise<Date> {
  const next = (await expression(schedule)).nextRun(now);
  if (!next) throw new Error(`The schedule ${schedule.cron} never fires after ${now.toISOString()}`);
  return next;
}
