import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ColumnCounter,
  fitReferenceProfile,
  type ReferenceProfile,
  type WindowCounters,
} from '#drift/profile';
import { type QualityCheck, qualityChecks, qualityReasons } from '../../functions/commons/quality/checks.ts';
import { QualityCounter, qualityColumn } from '../../functions/commons/quality/counter.ts';
import { MAX_ALLOWED_CHARACTERS, type QualityRule } from '../../functions/commons/quality/rules.ts';
import { modelInputSchema } from '../../functions/commons/registry/schema.ts';

/** Written by scripts/golden/fdr_fixtures.py: records, rules and their exact counts. */
const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, '../fixtures/quality/counts.json'), 'utf8'),
) as {
  features: { name: string; type: 'numerical' | 'categorical'; quality: QualityRule }[];
  baseline: { features: Record<string, unknown> }[];
  window: { features: Record<string, unknown> }[];
  counts: Record<string, Record<string, number>>;
  checks: QualityCheck[];
};

/** What ingestion writes for one batch: the drift counters and the quality columns. */
function countBatch(records: readonly { features: Record<string, unknown> }[]) {
  const profiles = new Map<string, ReferenceProfile>();
  const columns = new Map<string, WindowCounters>();
  for (const feature of fixture.features) {
    const profile = fitReferenceProfile(
      fixture.baseline.map((r) => r.features[feature.name]),
      feature.type,
    );
    profiles.set(feature.name, profile);
    const drift = new ColumnCounter(profile);
    const quality = new QualityCounter(feature.quality, feature.type);
    for (const record of records) {
      drift.add(record.features[feature.name] ?? null);
      quality.add(record.features[feature.name] ?? null);
    }
    columns.set(feature.name, drift.counters());
    columns.set(qualityColumn(feature.name), quality.counters());
  }
  return { profiles, columns };
}

describe('data-quality counts against the fixture', () => {
  it('counts rows, missing, below min, above max and not allowed exactly', () => {
    const { columns } = countBatch(fixture.window);
    const { age, plan } = fixture.counts as Record<string, Record<string, number>>;
    expect(columns.get('@quality#age')).toEqual({
      rows: age?.rows,
      missing: age?.missing,
      belowMin: age?.belowMin,
      aboveMax: age?.aboveMax,
    });
    expect(columns.get('@quality#plan')).toEqual({
      rows: plan?.rows,
      missing: plan?.missing,
      notAllowed: plan?.notAllowed,
    });
  });

  it('gives the checks of the fixture, shares exact, new categories from the drift counters', () => {
    const { profiles, columns } = countBatch(fixture.window);
    expect(qualityChecks(fixture.features, profiles, columns)).toEqual(fixture.checks);
    const fresh =
      (fixture.counts.plan?.newCategory as number) /
      ((fixture.counts.plan?.rows as number) - (fixture.counts.plan?.missing as number));
    expect(
      qualityChecks(fixture.features, profiles, columns).find((c) => c.check === 'newCategories')?.value,
    ).toBe(fresh);
  });

  it('gives the same checks when the window is counted in batches and merged by addition', () => {
    const parts = [fixture.window.slice(0, 300), fixture.window.slice(300, 301), fixture.window.slice(301)];
    const merged = new Map<string, WindowCounters>();
    let profiles = new Map<string, ReferenceProfile>();
    for (const part of parts) {
      const counted = countBatch(part);
      profiles = counted.profiles;
      for (const [column, counters] of counted.columns) {
        const into = merged.get(column) ?? {};
        for (const [key, value] of Object.entries(counters)) into[key] = (into[key] ?? 0) + value;
        merged.set(column, into);
      }
    }
    expect(qualityChecks(fixture.features, profiles, merged)).toEqual(fixture.checks);
  });

  it('counts a value exactly at min or max as in range, and just past them as out', () => {
    const counter = new QualityCounter({ min: 18, max: 90 }, 'numerical');
    for (const v of [18, 90, 17.999999, 90.000001, null, Number.NaN]) counter.add(v);
    expect(counter.counters()).toEqual({ rows: 6, missing: 2, belowMin: 1, aboveMax: 1 });
    const categories = new QualityCounter({ allowed: ['a', 'true', '1'] }, 'categorical');
    for (const v of ['a', 'b', true, 1, 2, '', null]) categories.add(v);
    expect(categories.counters()).toEqual({ rows: 7, missing: 2, notAllowed: 2 });
  });
});

describe('data-quality checks', () => {
  const profile = fitReferenceProfile(['x', 'y'], 'categorical');
  const profiles = new Map<string, ReferenceProfile>([['plan', profile]]);

  it('reads missing and new categories from the drift counters of a window counted before the rule', () => {
    const checks = qualityChecks(
      [
        {
          name: 'plan',
          type: 'categorical',
          quality: { allowed: ['x'], maxMissingShare: 0.1, maxNewCategoryShare: 0 },
        },
      ],
      profiles,
      new Map([['plan', { miss: 1, 'c:x': 6, 'c:z': 2, 'c:__other__': 1 }]]),
    );
    expect(checks).toEqual([
      { feature: 'plan', check: 'allowed', value: null, limit: 0, ok: null, skipped: 'not-counted' },
      { feature: 'plan', check: 'missing', value: 0.1, limit: 0.1, ok: true },
      // z and the new categories counted as __other__ past the cap: 3 of 9.
      { feature: 'plan', check: 'newCategories', value: 3 / 9, limit: 0, ok: false },
    ]);
  });

  it('skips what it cannot judge, and says why', () => {
    const overflowed = fitReferenceProfile(['a', 'b', 'c'], 'categorical', { maxCategories: 1 });
    const checks = qualityChecks(
      [
        { name: 'age', type: 'numerical', quality: { max: 3, maxMissingShare: 0 } },
        { name: 'plan', type: 'categorical', quality: { maxNewCategoryShare: 0.5 } },
      ],
      new Map([['plan', overflowed]]),
      new Map([['plan', { 'c:a': 1 }]]),
    );
    expect(checks).toEqual([
      { feature: 'age', check: 'range', value: null, limit: 0, ok: null, skipped: 'no-values' },
      { feature: 'age', check: 'missing', value: null, limit: 0, ok: null, skipped: 'no-values' },
      {
        feature: 'plan',
        check: 'newCategories',
        value: null,
        limit: 0.5,
        ok: null,
        skipped: 'untracked-categories',
      },
    ]);
  });

  it('words the failed checks as one breach reason, naming at most ten', () => {
    const fail = (feature: string, value: number): QualityCheck => ({
      feature,
      check: 'range',
      value,
      limit: 0,
      ok: false,
    });
    expect(qualityReasons([fail('age', 0.031)])).toEqual(['quality: age out of range 3.1% > 0%']);
    expect(
      qualityReasons([
        fail('age', 0.031),
        { feature: 'age', check: 'missing', value: 0.01, limit: 0.05, ok: true },
        { feature: 'plan', check: 'newCategories', value: 0.25, limit: 0.02, ok: false },
      ]),
    ).toEqual(['quality: age out of range 3.1% > 0%; plan in new categories 25% > 2%']);
    const many = qualityReasons(Array.from({ length: 25 }, (_, i) => fail(`f${i}`, 0.5)));
    expect(many).toHaveLength(1);
    expect(many[0]).toMatch(/^quality: f0 out of range 50% > 0%; .*; f9 out of range 50% > 0%; and 15 more$/);
    expect(
      qualityReasons([
        { feature: 'a', check: 'range', value: null, limit: 0, ok: null, skipped: 'no-values' },
      ]),
    ).toEqual([]);
  });
});

describe('data-quality rules in the model schema', () => {
  const base = {
    name: 'm',
    owner: 'o',
    task: 'classification',
    approvers: Object.fromEntries(
      ['dataScienceLead', 'devTeam', 'qa', 'irbLiaison', 'legal', 'mlops', 'operations', 'support'].map(
        (r) => [r, ['a@example.com']],
      ),
    ),
  };
  const issues = (features: unknown[], thresholds?: unknown) => {
    const result = modelInputSchema.safeParse({ ...base, features, ...(thresholds ? { thresholds } : {}) });
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('accepts the fixture rules and the dataset rules', () => {
    expect(issues(fixture.features)).toEqual([]);
    expect(issues(fixture.features, { datasetDrift: { rule: 'fdr' } })).toEqual([]);
    const parsed = modelInputSchema.parse({
      ...base,
      features: fixture.features,
      thresholds: { datasetDrift: { rule: 'fdr' } },
    });
    expect(parsed.thresholds.datasetDrift).toEqual({ rule: 'fdr', alpha: 0.05 });
    expect(parsed.thresholds.driftShare).toBe(0.5);
  });

  it.each([
    [
      [{ name: 'a', type: 'numerical', quality: { min: 5, max: 1 } }],
      'features.0.quality.max: must be at least min (5)',
    ],
    [
      [{ name: 'a', type: 'numerical', quality: { allowed: ['x'] } }],
      'features.0.quality.allowed: applies to categorical features',
    ],
    [
      [{ name: 'a', type: 'numerical', quality: { maxNewCategoryShare: 0.1 } }],
      'features.0.quality.maxNewCategoryShare: applies to categorical',
    ],
    [
      [{ name: 'a', type: 'categorical', quality: { min: 1 } }],
      'features.0.quality.min: applies to numerical features',
    ],
    [
      [{ name: 'a', type: 'categorical', quality: { maxOutOfRangeShare: 0.1 } }],
      'features.0.quality.maxOutOfRangeShare: give min or max',
    ],
    [[{ name: 'a', type: 'categorical', quality: {} }], 'features.0.quality: give at least one rule'],
    [
      [{ name: 'a', type: 'categorical', quality: { maxMissingShare: 1.5 } }],
      'features.0.quality.maxMissingShare',
    ],
    [
      [{ name: 'a', type: 'categorical', quality: { maxMissingShare: -0.1 } }],
      'features.0.quality.maxMissingShare',
    ],
    [[{ name: 'a', type: 'categorical', quality: { allowed: [] } }], 'features.0.quality.allowed'],
    [
      [{ name: 'a', type: 'categorical', quality: { allowed: ['x'.repeat(257)] } }],
      'features.0.quality.allowed.0',
    ],
    [[{ name: 'a', type: 'categorical', quality: { limit: 1 } }], 'features.0.quality: Unrecognized key'],
    [
      Array.from({ length: 2 }, (_, i) => ({
        name: `f${i}`,
        type: 'categorical',
        quality: {
          allowed: Array.from({ length: 100 }, (_, j) => `${j}`.padEnd(MAX_ALLOWED_CHARACTERS / 150, 'x')),
        },
      })),
      'features.1.quality.allowed: the allowed values of a model take at most 8192 characters',
    ],
  ])('refuses %j naming the field', (features, message) => {
    expect(issues(features).join('\n')).toContain(message);
  });

  it('refuses a dataset rule that is not share or fdr, or numbers out of range', () => {
    const features = [{ name: 'a', type: 'numerical' }];
    expect(issues(features, { datasetDrift: { rule: 'vote' } }).join()).toContain(
      'thresholds.datasetDrift.rule',
    );
    expect(issues(features, { datasetDrift: { rule: 'fdr', alpha: 0 } }).join()).toContain(
      'thresholds.datasetDrift.alpha',
    );
    expect(issues(features, { datasetDrift: { rule: 'share', share: 2 } }).join()).toContain(
      'thresholds.datasetDrift.share',
    );
    expect(issues(features, { datasetDrift: { rule: 'fdr', share: 0.5 } }).join()).toContain(
      'thresholds.datasetDrift',
    );
  });
});

describe("the demo model's data-quality rules", () => {
  it('register, and hold on the demo traffic, healthy and shifted, so that only drift and accuracy breach', async () => {
    const { demoFeatures, drawRecords, rng } = await import('../../local/demo/data.ts');
    const features = demoFeatures.map((f) => ({ ...f })) as {
      name: string;
      type: 'numerical' | 'categorical';
      quality?: QualityRule;
    }[];
    expect(features.filter((f) => f.quality).length).toBeGreaterThan(0);
    const approvers = Object.fromEntries(
      ['dataScienceLead', 'devTeam', 'qa', 'irbLiaison', 'legal', 'mlops', 'operations', 'support'].map(
        (r) => [r, ['a@example.com']],
      ),
    );
    expect(
      modelInputSchema.safeParse({ name: 'd', owner: 'o', task: 'classification', features, approvers })
        .success,
    ).toBe(true);
    for (const population of ['normal', 'shifted'] as const) {
      const records = drawRecords(rng(7), 20_000, population, 0.9);
      const profiles = new Map<string, ReferenceProfile>();
      const columns = new Map<string, WindowCounters>();
      for (const feature of features) {
        const values = records.map((r) => (r.features as Record<string, unknown>)[feature.name]);
        const profile = fitReferenceProfile(values, feature.type);
        const drift = new ColumnCounter(profile);
        const quality = new QualityCounter(feature.quality ?? {}, feature.type);
        for (const v of values) {
          drift.add(v);
          quality.add(v);
        }
        profiles.set(feature.name, profile);
        columns.set(feature.name, drift.counters());
        columns.set(qualityColumn(feature.name), quality.counters());
      }
      const checks = qualityChecks(features, profiles, columns);
      expect(checks.length).toBeGreaterThan(0);
      expect(checks.every((c) => c.ok === true)).toBe(true);
    }
  });
});

describe('the OpenAPI document', () => {
  it('describes the quality rule and the dataset rule of a model', async () => {
    const { openApiDocument } = await import('../../functions/commons/api/openapi.ts');
    const paths = openApiDocument().paths as Record<
      string,
      Record<string, { requestBody: { content: Record<string, { schema: unknown }> } }>
    >;
    const schema = paths['/v1/models/{modelId}']?.put?.requestBody.content['application/json']?.schema as {
      properties: Record<
        string,
        { items?: { properties: Record<string, unknown> }; properties?: Record<string, unknown> }
      >;
    };
    const quality = JSON.stringify(schema.properties.features?.items?.properties.quality);
    for (const field of [
      'min',
      'max',
      'allowed',
      'maxMissingShare',
      'maxOutOfRangeShare',
      'maxNewCategoryShare',
    ])
      expect(quality).toContain(`"${field}"`);
    const rule = JSON.stringify(schema.properties.thresholds?.properties?.datasetDrift);
    expect(rule).toContain('"fdr"');
    expect(rule).toContain('"alpha"');
    expect(rule).toContain('Benjamini–Hochberg');
  });
});

describe("a model's dataset rule", () => {
  it('is thresholds.datasetDrift when given, else the share rule with thresholds.driftShare', async () => {
    const { datasetRuleOf } = await import('../../functions/commons/evaluation/dataset-rule.ts');
    type Model = Parameters<typeof datasetRuleOf>[0];
    const of = (thresholds: Record<string, unknown>) => datasetRuleOf({ thresholds } as unknown as Model);
    expect(of({ driftShare: 0.3 })).toEqual({ rule: 'share', share: 0.3 });
    expect(of({ driftShare: 0.3, datasetDrift: { rule: 'share', share: 0.7 } })).toEqual({
      rule: 'share',
      share: 0.7,
    });
    expect(of({ driftShare: 0.3, datasetDrift: { rule: 'fdr', alpha: 0.01 } })).toEqual({
      rule: 'fdr',
      alpha: 0.01,
    });
  });
});
