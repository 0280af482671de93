/**
 * What reading a cron expression loads on its first use, not at a cold start: `croner`. A chunk
 * of its own in the bundle: most models have no cron schedule, and most requests of the
 * functions that may read one (the registry, the scheduled evaluation, the workflow tasks)
 * never do. `cron.ts` imports it with `await import()` and caches it.
 */
import { Cron } from 'croner';

/**
 * A five-field pattern in `timezone`, evaluated only (no job is scheduled): day-of-month and
 * day-of-week combine with OR, Sunday is 0 or 7, and a step may start at a number (`5/15`), as
 * crontab reads them. A local time that a daylight-saving change skips fires at the first
 * minute after the gap; one that occurs twice fires once. Throws on an expression croner
 * refuses, with its reason.
 */
export function cronPattern(expression: string, timezone: string): Cron {
  return new Cron(expression, { mode: '5-part', domAndDow: false, sloppyRanges: true, timezone });
}
