import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvers, startTestApi, type TestApi } from '../support/api.ts';

const model = {
  name: 'Weekday model',
  owner: 'ds@example.com',
  task: 'classification',
  features: [{ name: 'x', type: 'numerical' }],
  schedule: { cron: '0 6 * * 1-5', timezone: 'Europe/Berlin', window: 'PT1H', minSamples: 10 },
  approvers,
};

/** The last Sunday of March of `year`, 00:00 UTC: Europe/Berlin moves from UTC+1 to UTC+2 that night. */
function summerTimeSunday(year: number): number {
  const april = Date.UTC(year, 3, 1);
  const weekday = new Date(april).getUTCDay();
  return april - (weekday === 0 ? 7 : weekday) * 86400_000;
}

/**
 * A cron schedule runs the model's scheduled evaluation at its fire times in its time zone, once
 * per fire time, over the window that ends at the fire time; ticks in between run nothing and
 * missed fire times coalesce into one run. The clock is injected: the ticks are in the year after
 * the model was registered, across the change to summer time in Berlin.
 */
describe('cron schedules (local runtime on dynalite)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  it('refuses a bad expression, a bad zone and a cron next to every, naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ cron: '0 25 * * *' }, 'schedule.cron'],
      [{ cron: '0 6 * *' }, 'schedule.cron'],
      [{ cron: '0 6 * * 1-5', timezone: 'Europe/Atlantis' }, 'schedule.timezone'],
      [{ cron: '0 6 * * 1-5', every: 'P1D' }, 'schedule.cron'],
      [{ every: 'P1D', timezone: 'Europe/Berlin' }, 'schedule.timezone'],
    ];
    for (const [schedule, field] of cases) {
      const response = await api.call('PUT', '/v1/models/bad-cron', { body: { ...model, schedule } });
      expect(response.status, JSON.stringify(schedule)).toBe(400);
      expect(response.body.error.issues.map((i: { path: string }) => i.path)).toContain(field);
    }
    // croner's reason, from the chunk that loads with the first expression checked.
    const bad = await api.call('PUT', '/v1/models/bad-cron', {
      body: { ...model, schedule: { cron: '0 25 * * *' } },
    });
    expect(bad.body.error.issues).toEqual([
      {
        path: 'schedule.cron',
        message: 'not a valid cron expression: CronPattern: Invalid value for hour: 25',
      },
    ]);
    expect((await api.call('GET', '/v1/models/bad-cron')).status).toBe(404);
  });

  it('runs at the cron times in the time zone, not between, once per fire time', async () => {
    const { runScheduledEvaluations } = await import('../../functions/commons/evaluation/schedule.ts');
    expect((await api.call('PUT', '/v1/models/weekday', { body: model })).status).toBe(201);
    const records = Array.from({ length: 20 }, (_, i) => ({ features: { x: i }, prediction: 'yes' }));
    expect((await api.call('PUT', '/v1/models/weekday/baseline', { body: { records } })).status).toBe(201);
    const registered = await api.call('GET', '/v1/models/weekday');
    expect(registered.body.schedule).toEqual({
      cron: '0 6 * * 1-5',
      timezone: 'Europe/Berlin',
      window: 'PT1H',
      minSamples: 10,
    });
    expect(Date.parse(registered.body.nextScheduledRun)).toBeGreaterThan(
      Date.parse(registered.body.createdAt),
    );

    const sunday = summerTimeSunday(new Date(registered.body.createdAt).getUTCFullYear() + 1);
    const at = (days: number, time: string) =>
      new Date(sunday + days * 86400_000 + Date.parse(`1970-01-01T${time}Z`));
    const tick = async (now: Date) =>
      (await runScheduledEvaluations(now)).filter((run) => run.modelId === 'weekday');
    const windowOf = async (run: { evaluationId?: string }) => {
      const evaluation = (await api.call('GET', `/v1/evaluations/${run.evaluationId}`)).body;
      return { start: evaluation.windowStart, end: evaluation.windowEnd, trigger: evaluation.trigger };
    };

    // Friday before the change: 06:00 in Berlin is 05:00 UTC.
    const friday = await tick(at(-2, '05:00:30'));
    expect(friday).toHaveLength(1);
    expect(await windowOf(friday[0] as { evaluationId: string })).toEqual({
      start: at(-2, '04:00:00').toISOString(),
      end: at(-2, '05:00:00').toISOString(),
      trigger: 'schedule',
    });
    expect(await tick(at(-2, '05:01:30'))).toEqual([]);
    // The weekend, and Monday before 06:00 Berlin summer time (04:00 UTC), run nothing; so does
    // 05:00 UTC on Monday itself had the zone been ignored.
    for (const now of [at(-1, '05:00:30'), at(0, '05:00:30'), at(1, '03:59:30')]) {
      expect(await tick(now), now.toISOString()).toEqual([]);
    }
    const monday = await tick(at(1, '04:00:10'));
    expect(monday).toHaveLength(1);
    expect((await windowOf(monday[0] as { evaluationId: string })).end).toBe(at(1, '04:00:00').toISOString());
    expect(await tick(at(1, '05:00:30'))).toEqual([]);

    // No tick from Tuesday to Thursday morning: the missed fire times coalesce into one run, over
    // the window of the latest.
    const thursday = await tick(at(4, '09:00:00'));
    expect(thursday).toHaveLength(1);
    expect((await windowOf(thursday[0] as { evaluationId: string })).end).toBe(
      at(4, '04:00:00').toISOString(),
    );
    expect(await tick(at(4, '09:01:00'))).toEqual([]);
  });
});
