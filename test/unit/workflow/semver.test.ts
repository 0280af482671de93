import { describe, expect, it } from 'vitest';
import { compareSemver } from '../../../functions/commons/incidents/semver.ts';

describe('semantic version precedence', () => {
  it('orders the examples of the Semantic Versioning specification', () => {
    const ordered = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.1',
      '1.2.0',
      '1.10.0',
      '2.0.0',
    ];
    for (let i = 0; i < ordered.length - 1; i++) {
      expect(compareSemver(ordered[i] as string, ordered[i + 1] as string), ordered[i]).toBe(-1);
      expect(compareSemver(ordered[i + 1] as string, ordered[i] as string), ordered[i]).toBe(1);
    }
  });

  it('ignores build metadata', () => {
    expect(compareSemver('1.4.0+build.7', '1.4.0')).toBe(0);
    expect(compareSemver('1.4.0+a', '1.4.0+b')).toBe(0);
  });
});
