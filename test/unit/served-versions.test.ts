import { describe, expect, it } from 'vitest';
import {
  approvedVersions,
  boundVersionCounters,
  MAX_COUNTED_VERSIONS,
  servedVersions,
  versionKey,
} from '../../functions/commons/telemetry/versions.ts';

describe('served versions', () => {
  const model = (fields: Record<string, string | undefined>) => ({
    ...fields,
    governance: { stabilisationSeconds: 3600 },
  });
  const since = Date.parse('2026-03-01T12:00:00Z');

  it('approves production, and the previous version only until the stabilisation after the change ends', () => {
    const promoted = model({
      productionVersion: '1.1.0',
      previousVersion: '1.0.0',
      productionSince: '2026-03-01T12:00:00.000Z',
    });

    expect(approvedVersions(promoted, since + 1000)).toEqual(['1.1.0', '1.0.0']);
    expect(approvedVersions(promoted, since + 3600 * 1000 - 1)).toEqual(['1.1.0', '1.0.0']);
    expect(approvedVersions(promoted, since + 3600 * 1000)).toEqual(['1.1.0']);
    expect(approvedVersions(model({ productionVersion: '1.0.0' }), since)).toEqual(['1.0.0']);
    expect(approvedVersions(model({}), since)).toEqual([]);
  });

  it('keys a batch by its version, or none', () => {
    expect(versionKey('1.2.0')).toBe('v:1.2.0');
    expect(versionKey(undefined)).toBe('none');
  });

  it('names the versions with the most predictions and counts the rest as other, exactly', () => {
    const counters: Record<string, number> = { none: 7, other: 2 };
    for (let i = 0; i < MAX_COUNTED_VERSIONS + 5; i++) counters[`v:1.${i}.0`] = 100 + i;

    const bounded = boundVersionCounters(counters);

    const named = Object.keys(bounded).filter((key) => key.startsWith('v:'));
    expect(named).toHaveLength(MAX_COUNTED_VERSIONS);
    expect(named).not.toContain('v:1.0.0'); // the fewest predictions
    expect(bounded.other).toBe(2 + 100 + 101 + 102 + 103 + 104);
    const sum = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
    expect(sum(bounded)).toBe(sum(counters));
    expect(boundVersionCounters({ 'v:1.0.0': 3 })).toEqual({ 'v:1.0.0': 3 });
  });

  it('lists a window’s versions most predictions first, without the prefix', () => {
    expect(servedVersions({ 'v:1.0.0': 80, 'v:2.0.0': 10, none: 30, 'v:0.9.0': 0 })).toEqual([
      { version: '1.0.0', predictions: 80 },
      { version: 'none', predictions: 30 },
      { version: '2.0.0', predictions: 10 },
    ]);
    expect(servedVersions(undefined)).toEqual([]);
  });
});
