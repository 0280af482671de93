import { describe, expect, it } from 'vitest';
import { cronIssue, isTimeZone, latestFire, nextFire } from '../../functions/commons/evaluation/cron.ts';

describe('cron schedules', () => {
  it('reads a schedule without a time zone in UTC', () => {
    const schedule = { cron: '30 6 * * *' };
    expect(latestFire(schedule, new Date('2030-01-10T06:29:59Z'))?.toISOString()).toBe(
      '2030-01-09T06:30:00.000Z',
    );
    expect(latestFire(schedule, new Date('2030-01-10T06:30:00Z'))?.toISOString()).toBe(
      '2030-01-10T06:30:00.000Z',
    );
    expect(nextFire(schedule, new Date('2030-01-10T06:30:00Z')).toISOString()).toBe(
      '2030-01-11T06:30:00.000Z',
    );
  });

  it('keeps local time across daylight-saving changes', () => {
    const schedule = { cron: '0 6 * * *', timezone: 'America/New_York' };
    // New York moves to summer time on 10 March 2030.
    expect(nextFire(schedule, new Date('2030-03-09T12:00:00Z')).toISOString()).toBe(
      '2030-03-10T10:00:00.000Z',
    );
    expect(nextFire(schedule, new Date('2030-03-08T12:00:00Z')).toISOString()).toBe(
      '2030-03-09T11:00:00.000Z',
    );
  });

  it('refuses what is not a five-field expression, and unknown zones', () => {
    expect(cronIssue('0 6 * * 1-5')).toBeUndefined();
    expect(cronIssue('0 6 * * MON-FRI')).toBeUndefined();
    expect(cronIssue('*/5 0 6 * * 1-5')).toMatch(/five fields/);
    expect(cronIssue('0 24 * * *')).toMatch(/not a valid cron expression/);
    expect(cronIssue('every day')).toMatch(/five fields/);
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Europe/Atlantis')).toBe(false);
  });
});
