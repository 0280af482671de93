import * as z from '#commons/zod';
import { cronIssue, isTimeZone } from './cron.ts';

/**
 * The model schema's checks of `schedule.cron` and `schedule.timezone`, apart from the reading of
 * schedules (`cron.ts`), so a scheduled run that reads fire times loads no validation library.
 */

export const cronSchema = z.string().check(
  z.maxLength(200),
  z.superRefine(async (expression, ctx) => {
    const issue = await cronIssue(expression);
    if (issue) ctx.addIssue({ code: 'custom', message: issue });
  }),
);

export const timezoneSchema = z
  .string()
  .check(z.maxLength(64), z.refine(isTimeZone, 'an IANA time zone such as "Europe/Berlin" or "UTC"'));
