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

  it('fires a local time that the change to summer time skips at the first minute after the gap', () => {
    // Berlin skips 02:00-03:00 on 31 March 2030: 02:30 that day is 03:00 CEST (01:00Z).
    const daily = { cron: '30 2 * * *', timezone: 'Europe/Berlin' };
    expect(nextFire(daily, new Date('2030-03-30T12:00:00Z')).toISOString()).toBe('2030-03-31T01:00:00.000Z');
    expect(latestFire(daily, new Date('2030-03-31T01:00:00Z'))?.toISOString()).toBe(
      '2030-03-31T01:00:00.000Z',
    );
    expect(latestFire(daily, new Date('2030-03-31T00:59:59Z'))?.toISOString()).toBe(
      '2030-03-30T01:30:00.000Z',
    );
    expect(nextFire(daily, new Date('2030-03-31T01:00:00Z')).toISOString()).toBe('2030-04-01T00:30:00.000Z');
    // 02:30 occurs twice when Berlin goes back to winter time on 27 October 2030: it fires once.
    const fires: string[] = [];
    for (let at = new Date('2030-10-26T12:00:00Z'); at < new Date('2030-10-28T12:00:00Z'); ) {
      at = nextFire(daily, at);
      fires.push(at.toISOString());
    }
    expect(fires.slice(0, 2)).toEqual(['2030-10-27T00:30:00.000Z', '2030-10-28T01:30:00.000Z']);
  });

  it('reads steps, names and day combinations as crontab does', () => {
    // A step from a number: minutes 5, 20, 35, 50.
    expect(nextFire({ cron: '5/15 * * * *' }, new Date('2030-01-10T06:21:00Z')).toISOString()).toBe(
      '2030-01-10T06:35:00.000Z',
    );
    // Day of month 1 OR Monday: Monday 7 January 2030 comes before 1 February.
    expect(nextFire({ cron: '0 0 1 * MON' }, new Date('2030-01-02T00:00:00Z')).toISOString()).toBe(
      '2030-01-07T00:00:00.000Z',
    );
    // Sunday is 0 and 7.
    expect(nextFire({ cron: '0 0 * * 7' }, new Date('2030-01-10T00:00:00Z')).toISOString()).toBe(
      '2030-01-13T00:00:00.000Z',
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
