import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { cdkJsonContext } from './app.ts';

/** The flags `cdk init` writes for the aws-cdk-lib in the lock file. */
const recommended = JSON.parse(
  readFileSync(createRequire(import.meta.url).resolve('aws-cdk-lib/recommended-feature-flags.json'), 'utf8'),
) as Record<string, unknown>;

/**
 * Where Vigil keeps another value than the recommended one, and why (docs/architecture.md).
 * Strong cross-stack references (exports) keep the data stack from being deleted while the
 * service stack uses it; moving to weak ones is a two-deployment migration.
 */
const deliberate: Record<string, unknown> = { '@aws-cdk/core:defaultCrossStackReferences': 'strong' };

describe('cdk.json', () => {
  it('sets every feature flag cdk init recommends for the pinned aws-cdk-lib', () => {
    expect(Object.keys(recommended).length).toBeGreaterThan(80);
    const missing = Object.keys(recommended).filter((flag) => !(flag in cdkJsonContext));
    expect(missing).toEqual([]);
  });

  it('keeps the recommended value of each, but for the documented exceptions', () => {
    const differing = Object.fromEntries(
      Object.entries(recommended)
        .filter(([flag, value]) => JSON.stringify(cdkJsonContext[flag]) !== JSON.stringify(value))
        .map(([flag]) => [flag, cdkJsonContext[flag]]),
    );
    expect(differing).toEqual(deliberate);
  });
});
