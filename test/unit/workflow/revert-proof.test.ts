import { beforeAll, describe, expect, it } from 'vitest';

process.env.GOVERNANCE_TABLE ??= 'unit-governance';
process.env.TELEMETRY_TABLE ??= 'unit-telemetry';

let revert: typeof import('#commons/incidents/revert');
// The module reads its table names when it loads, so it loads after they are set.
beforeAll(async () => {
  revert = await import('#commons/incidents/revert');
}, 60_000);

/**
 * What the served versions of a window prove about a revert: predictions of production and none
 * of a version not approved; predictions sent without a version neither prove nor block.
 */
describe('revertProof', () => {
  const proof = async (...args: Parameters<typeof revert.revertProof>) => revert.revertProof(...args);

  it('is restored by production alone, and by production with unversioned predictions', async () => {
    expect(await proof([{ version: '1.0.0', predictions: 80 }], '1.0.0', ['1.0.0'])).toEqual({
      restored: true,
      productionPredictions: 80,
      unversionedPredictions: 0,
    });
    expect(
      await proof(
        [
          { version: '1.0.0', predictions: 70 },
          { version: 'none', predictions: 200 },
        ],
        '1.0.0',
        ['1.0.0'],
      ),
    ).toEqual({ restored: true, productionPredictions: 70, unversionedPredictions: 200 });
  });

  it('is not restored by unversioned predictions alone, nor by an empty window', async () => {
    expect(await proof([{ version: 'none', predictions: 80 }], '1.0.0', ['1.0.0'])).toMatchObject({
      restored: false,
      productionPredictions: 0,
      unversionedPredictions: 80,
    });
    expect((await proof([], '1.0.0', ['1.0.0'])).restored).toBe(false);
    expect((await proof([{ version: '1.0.0', predictions: 5 }], undefined, [])).restored).toBe(false);
  });

  it('is blocked by any prediction of a version not approved, or counted past the cap as other', async () => {
    const production = { version: '1.0.0', predictions: 80 };
    expect(
      (await proof([production, { version: '2.0.0', predictions: 1 }], '1.0.0', ['1.0.0'])).restored,
    ).toBe(false);
    expect(
      (await proof([production, { version: 'other', predictions: 3 }], '1.0.0', ['1.0.0'])).restored,
    ).toBe(false);
  });

  it('lets the previous version serve while its stabilisation runs, as ingest does', async () => {
    const versions = [
      { version: '1.1.0', predictions: 60 },
      { version: '1.0.0', predictions: 20 },
    ];
    expect((await proof(versions, '1.1.0', ['1.1.0', '1.0.0'])).restored).toBe(true);
    expect((await proof(versions, '1.1.0', ['1.1.0'])).restored).toBe(false);
  });
});

/** How long the revert step waits: for a whole window after the ask and the run that evaluates it. */
describe('revertTimeoutSeconds', () => {
  const now = new Date('2026-03-02T10:00:00Z');
  const model = (schedule: Record<string, string>) =>
    ({
      schedule: { window: 'P1D', ...schedule },
    }) as unknown as import('#commons/registry/store').ModelRecord;
  const wait = async (schedule: Record<string, string>, answerSeconds: number) =>
    revert.revertTimeoutSeconds(model(schedule), answerSeconds, now);

  it('covers the window, a schedule period and a tick, or the answer time when longer', async () => {
    expect(await wait({ every: 'PT1H' }, 60)).toBe(86_400 + 3_600 + 60);
    expect(await wait({ every: 'PT1H' }, 3 * 86_400)).toBe(3 * 86_400);
  });

  it('takes the longest gap between the next fires of a cron schedule', async () => {
    // Weekdays at 06:00: from Friday to Monday is three days.
    expect(await wait({ cron: '0 6 * * 1-5', timezone: 'UTC' }, 60)).toBe(86_400 + 3 * 86_400 + 60);
  });

  it('stays within what Step Functions can wait three times in a year', async () => {
    expect(await wait({ window: 'P365D', every: 'P30D' }, 60)).toBe(revert.MAX_REVERT_WAIT_SECONDS);
    expect(3 * revert.MAX_REVERT_WAIT_SECONDS).toBeLessThan(365 * 86_400);
  });
});
