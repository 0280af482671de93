import { describe, expect, it, vi } from 'vitest';

vi.stubEnv('TELEMETRY_TABLE', 'telemetry');
const { fingerprint } = await import('#commons/telemetry/batches');

/**
 * A batch id is bound to the fingerprint of its content in the ledger, and batches of actuals
 * without one are keyed by it: the fingerprints below are the ones earlier versions computed
 * and stored, so any other value would refuse or recount a retry across an upgrade.
 */
describe('request fingerprints', () => {
  const batch = {
    batchId: 'b-7',
    modelVersion: '1.2.0',
    absent: undefined,
    records: [
      {
        predictionId: 'p-1',
        timestamp: '2026-01-02T03:04:05Z',
        features: { z: 1.5, a: null, é: 'x', '\u20ac': true, B: -0, n: 1e21, s: '"q"\n' },
        prediction: 'yes',
        score: 0.25,
      },
      { features: { b: 2, a: 1, '': 0 }, prediction: 3, timestamp: 1767225600000, score: undefined },
      { features: {}, prediction: false, nested: [1, [2, { y: 1, x: [null] }], 'z'] },
    ],
  };

  it('are the SHA-256 of the content with keys in code-unit order, as earlier versions kept them', () => {
    expect(fingerprint(batch)).toBe('Y-O8gLhtmwDUG6VpxM9gS1wg95OII_FycKoL2ii8sag');
    expect(fingerprint({ records: [] })).toBe('G4tMC29q0dMlZZUnILwATusfGI9iBF5NVSWuKvjHhDI');
  });

  it('are the same when keys look like array indexes, or arrays hold undefined', () => {
    // Objects list index-like keys first; the fingerprint still orders them as text.
    expect(fingerprint({ features: { '10': 'ten', '9': 'nine', a: 1 } })).toBe(
      '7a2j7XlgHl-GwdVK8k4RUMX5kQqxaq4aJsyPisE8MIw',
    );
    expect(fingerprint([undefined, 'a'])).toBe('Y6D58OBJoAYE-ylaNTGjUdm4X2IbeTd1iRA9zbb9pUo');
  });

  it('ignore the order of keys and undefined members, and tell other content apart', () => {
    const reordered = {
      records: batch.records.map((record) => Object.fromEntries(Object.entries(record).reverse())),
      modelVersion: '1.2.0',
      batchId: 'b-7',
    };
    expect(fingerprint(reordered)).toBe(fingerprint(batch));
    expect(fingerprint({ ...batch, modelVersion: '1.2.1' })).not.toBe(fingerprint(batch));
  });
});
