import { describe, expect, it } from 'vitest';
import { modelInputSchema } from '../../functions/commons/registry/schema.ts';
import type { ModelRecord } from '../../functions/commons/registry/store.ts';
import { profileTtlSeconds } from '../../functions/commons/telemetry/retention.ts';

const day = 86400;
const people = ['someone@example.com'];
const approvers = Object.fromEntries(
  ['dataScienceLead', 'devTeam', 'qa', 'irbLiaison', 'legal', 'mlops', 'operations', 'support'].map(
    (role) => [role, people],
  ),
);
const base = 400 * day;

function model(extra: Record<string, unknown>): ModelRecord {
  const input = modelInputSchema.parse({
    name: 'm',
    owner: 'ds@example.com',
    task: 'classification',
    features: [{ name: 'x', type: 'numerical' }],
    approvers,
    ...extra,
  });
  return { ...input, modelId: 'm', createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' };
}

describe('profileTtlSeconds', () => {
  it('keeps the default TTL without a seasonal reference, or when the lag fits in it', () => {
    expect(profileTtlSeconds(model({}), base)).toBe(base);
    expect(profileTtlSeconds(model({ reference: { lag: 'P7D' } }), base)).toBe(base);
  });

  it('covers the lag, the window (or the span it may grow to) and 30 days beyond', () => {
    expect(profileTtlSeconds(model({ reference: { lag: 'P2Y' } }), base)).toBe((730 + 1 + 30) * day);
    expect(
      profileTtlSeconds(
        model({ reference: { lag: 'P2Y' }, schedule: { window: 'P1D', extendUntilMinSamples: 'P14D' } }),
        base,
      ),
    ).toBe((730 + 14 + 30) * day);
  });
});
