import { describe, expect, it } from 'vitest';

process.env.GOVERNANCE_TABLE ??= 'unit-governance';
process.env.TELEMETRY_TABLE ??= 'unit-telemetry';

/**
 * What the served versions of a window prove about a revert: predictions of production and none
 * of a version not approved; predictions sent without a version neither prove nor block.
 */
describe('revertProof', () => {
  const proof = async (...args: Parameters<typeof import('#commons/incidents/revert').revertProof>) => {
    const { revertProof } = await import('#commons/incidents/revert');
    return revertProof(...args);
  };

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
