import { describe, expect, it } from 'vitest';
import { cronIssue, isTimeZone, latestFire, nextFire } from '../../functions/commons/evaluation/cron.ts';
import { modelInputSchema } from '../../functions/commons/registry/schema.ts';

describe('cron schedules', () => {
  it('reads a schedule without a time zone in UTC', async () => {
    const schedule = { cron: '30 6 * * *' };
    expect((await latestFire(schedule, new Date('2030-01-10T06:29:59Z')))?.toISOString()).toBe(
      '2030-01-09T06:30:00.000Z',
    );
    expect((await latestFire(schedule, new Date('2030-01-10T06:30:00Z')))?.toISOString()).toBe(
      '2030-01-10T06:30:00.000Z',
    );
    expect((await nextFire(schedule, new Date('2030-01-10T06:30:00Z'))).toISOString()).toBe(
      '2030-01-11T06:30:00.000Z',
    );
  });

  it('keeps local time across daylight-saving changes', async () => {
    const schedule = { cron: '0 6 * * *', timezone: 'America/New_York' };
    // New York moves to summer time on 10 March 2030.
    expect((await nextFire(schedule, new Date('2030-03-09T12:00:00Z'))).toISOString()).toBe(
      '2030-03-10T10:00:00.000Z',
    );
    expect((await nextFire(schedule, new Date('2030-03-08T12:00:00Z'))).toISOString()).toBe(
      '2030-03-09T11:00:00.000Z',
    );
  });

  it('fires a local time that the change to summer time skips at the first minute after the gap', async () => {
    // Berlin skips 02:00-03:00 on 31 March 2030: 02:30 that day is 03:00 CEST (01:00Z).
    const daily = { cron: '30 2 * * *', timezone: 'Europe/Berlin' };
    expect((await nextFire(daily, new Date('2030-03-30T12:00:00Z'))).toISOString()).toBe(
      '2030-03-31T01:00:00.000Z',
    );
    expect((await latestFire(daily, new Date('2030-03-31T01:00:00Z')))?.toISOString()).toBe(
      '2030-03-31T01:00:00.000Z',
    );
    expect((await latestFire(daily, new Date('2030-03-31T00:59:59Z')))?.toISOString()).toBe(
      '2030-03-30T01:30:00.000Z',
    );
    expect((await nextFire(daily, new Date('2030-03-31T01:00:00Z'))).toISOString()).toBe(
      '2030-04-01T00:30:00.000Z',
    );
    // 02:30 occurs twice when Berlin goes back to winter time on 27 October 2030: it fires once.
    const fires: string[] = [];
    for (let at = new Date('2030-10-26T12:00:00Z'); at < new Date('2030-10-28T12:00:00Z'); ) {
      at = await nextFire(daily, at);
      fires.push(at.toISOString());
    }
    expect(fires.slice(0, 2)).toEqual(['2030-10-27T00:30:00.000Z', '2030-10-28T01:30:00.000Z']);
  });

  it('reads steps, names and day combinations as crontab does', async () => {
    // A step from a number: minutes 5, 20, 35, 50.
    expect((await nextFire({ cron: '5/15 * * * *' }, new Date('2030-01-10T06:21:00Z'))).toISOString()).toBe(
      '2030-01-10T06:35:00.000Z',
    );
    // Day of month 1 OR Monday: Monday 7 January 2030 comes before 1 February.
    expect((await nextFire({ cron: '0 0 1 * MON' }, new Date('2030-01-02T00:00:00Z'))).toISOString()).toBe(
      '2030-01-07T00:00:00.000Z',
    );
    // Sunday is 0 and 7.
    expect((await nextFire({ cron: '0 0 * * 7' }, new Date('2030-01-10T00:00:00Z'))).toISOString()).toBe(
      '2030-01-13T00:00:00.000Z',
    );
  });

  it('refuses what is not a five-field expression, and unknown zones', async () => {
    expect(await cronIssue('0 6 * * 1-5')).toBeUndefined();
    expect(await cronIssue('0 6 * * MON-FRI')).toBeUndefined();
    expect(await cronIssue('*/5 0 6 * * 1-5')).toMatch(/five fields/);
    expect(await cronIssue('0 24 * * *')).toMatch(/not a valid cron expression/);
    expect(await cronIssue('every day')).toMatch(/five fields/);
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Europe/Atlantis')).toBe(false);
  });
});

/** The registry checks `schedule.cron` with croner, loaded on first use: the model parses asynchronously. */
describe('cron schedules in the model schema', () => {
  const model = (schedule: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    name: 'm',
    owner: 'o',
    task: 'classification',
    features: [{ name: 'x', type: 'numerical' }],
    approvers: Object.fromEntries(
      ['dataScienceLead', 'devTeam', 'qa', 'irbLiaison', 'legal', 'mlops', 'operations', 'support'].map(
        (role) => [role, ['a@example.com']],
      ),
    ),
    schedule,
    ...extra,
  });
  const issues = async (body: unknown) => {
    const result = await modelInputSchema.safeParseAsync(body);
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it("names schedule.cron with croner's reason, or the five fields it expects", async () => {
    expect(await issues(model({ cron: '0 25 * * *' }))).toEqual([
      'schedule.cron: not a valid cron expression: CronPattern: Invalid value for hour: 25',
    ]);
    expect(await issues(model({ cron: '0 6 * *' }))).toEqual([
      'schedule.cron: a cron expression of five fields: minute hour day-of-month month day-of-week, such as "0 6 * * 1-5"',
    ]);
  });

  it('lists a bad cron expression with the other problems of the model, in one answer', async () => {
    // The cron check ends after the checks that need no croner: its issue may come after theirs.
    expect((await issues(model({ cron: '0 6 * * MON-FOO', timezone: 'Europe/Atlantis' }))).sort()).toEqual([
      'schedule.cron: not a valid cron expression: CronPattern: configuration entry 5 (1-FOO) contains illegal characters.',
      'schedule.timezone: an IANA time zone such as "Europe/Berlin" or "UTC"',
    ]);
    expect(await issues(model({ cron: '61 * * * *', every: 'P1D' }))).toEqual([
      'schedule.cron: not a valid cron expression: CronPattern: Invalid value for minute: 61',
      'schedule.cron: give schedule.every or schedule.cron, not both',
    ]);
    expect((await issues(model({ cron: '61 * * * *' }, { task: 'ranking' }))).sort()).toEqual([
      'schedule.cron: not a valid cron expression: CronPattern: Invalid value for minute: 61',
      'task: Invalid option: expected one of "classification"|"regression"',
    ]);
  });

  it("accepts a valid expression, with the model's defaults", async () => {
    const parsed = await modelInputSchema.parseAsync(
      model({ cron: '0 6 * * 1-5', timezone: 'Europe/Berlin' }),
    );
    expect(parsed.schedule).toEqual({
      cron: '0 6 * * 1-5',
      timezone: 'Europe/Berlin',
      window: 'P1D',
      minSamples: 100,
    });
  });

  it('refuses to check a cron expression in a synchronous parse rather than skip it', () => {
    expect(() => modelInputSchema.parse(model({ cron: '0 6 * * 1-5' }))).toThrow(/asynchronous|async/i);
    // A model without a cron schedule has no asynchronous check.
    expect(modelInputSchema.parse(model({ every: 'PT1H' })).schedule.every).toBe('PT1H');
  });
});
