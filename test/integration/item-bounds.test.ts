import { GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePayload } from '../../functions/commons/telemetry/deltas.ts';
import { localDynamoDbClient, localTableNames } from '../../local/dynamodb.ts';
import { approvers, startTestApi, type TestApi } from '../support/api.ts';

/**
 * Every DynamoDB item has a bound under the 400 KB item limit (docs/architecture.md, "Item
 * sizes"): each bound is tested at its limit against dynalite, which enforces that limit as
 * DynamoDB does. Names are as long as the API allows, and distinct, so that nothing compresses.
 */

const ITEM_LIMIT = 400 * 1024;
/** A distinct name of `length` characters. */
const name = (i: number, length: number, prefix = 'n') => `${prefix}${i}-`.padEnd(length, 'x');

function model(features: { name: string; type: string }[], extra: Record<string, unknown> = {}) {
  return {
    name: 'Bounds',
    owner: 'ds@example.com',
    task: 'classification',
    features,
    schedule: { every: 'PT1H', window: 'PT1H', minSamples: 1 },
    approvers,
    ...extra,
  };
}

describe('item sizes stay bounded (local runtime on dynalite)', () => {
  let api: TestApi;
  let client: ReturnType<typeof localDynamoDbClient>;
  const tables = localTableNames();

  beforeAll(async () => {
    api = await startTestApi();
    client = localDynamoDbClient(api.dynamoEndpoint);
  });
  afterAll(async () => {
    client.destroy();
    await api.close();
  });

  async function items(table: string, pk: string) {
    const { Items } = await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: pk } },
        ConsistentRead: true,
      }),
    );
    return (Items ?? []).map((item) => unmarshall(item));
  }

  async function itemBytes(table: string, key: { pk: string; sk: string }): Promise<number> {
    const { Item } = await client.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: key.pk }, sk: { S: key.sk } } }),
    );
    expect(Item).toBeDefined();
    return Buffer.byteLength(JSON.stringify(Item));
  }

  it('dynalite refuses an item over 400 KB, as DynamoDB does', async () => {
    const { PutItemCommand } = await import('@aws-sdk/client-dynamodb');
    const put = (bytes: number) =>
      client.send(
        new PutItemCommand({
          TableName: tables.Telemetry,
          Item: { pk: { S: 'LIMIT' }, sk: { S: '#' }, data: { S: 'x'.repeat(bytes) } },
        }),
      );
    await expect(put(ITEM_LIMIT - 100)).resolves.toBeDefined();
    await expect(put(ITEM_LIMIT + 1)).rejects.toThrow(/maximum allowed size/);
  });

  it('refuses a category or label longer than 256 characters with 400 naming the field, writing nothing', async () => {
    const features = [{ name: 'plan', type: 'categorical' }];
    expect((await api.call('PUT', '/v1/models/long', { body: model(features) })).status).toBe(201);
    const baseline = { records: [{ features: { plan: 'basic' }, prediction: 'stay' }] };
    expect((await api.call('PUT', '/v1/models/long/baseline', { body: baseline })).status).toBe(201);
    const before = await api.snapshot();

    const tooLong = await api.call('POST', '/v1/models/long/predictions', {
      body: {
        records: Array.from({ length: 1000 }, (_, i) => ({
          features: { plan: name(i, 1000) },
          prediction: 'stay',
        })),
      },
    });
    const feature = await api.call('POST', '/v1/models/long/predictions', {
      body: { records: [{ features: { plan: name(0, 257) }, prediction: 'stay' }] },
    });
    const label = await api.call('POST', '/v1/models/long/predictions', {
      body: { records: [{ features: { plan: 'basic' }, prediction: name(0, 257) }] },
    });

    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.issues[0]).toMatchObject({ path: 'records[0].features.plan' });
    expect(tooLong.body.error.issues[0].message).toMatch(/256 characters/);
    expect(feature.status).toBe(400);
    expect(feature.body.error.issues).toEqual([
      { path: 'records[0].features.plan', message: expect.stringMatching(/256 characters/) },
    ]);
    expect(label.status).toBe(400);
    expect(label.body.error.issues[0]).toMatchObject({ path: 'records[0].prediction' });
    expect(await api.snapshot()).toBe(before);
  });

  it('stores and evaluates the largest batch: 1,000 distinct 256-character categories per feature and label', async () => {
    const features = ['a', 'b', 'c'].map((n) => ({ name: n, type: 'categorical' }));
    expect((await api.call('PUT', '/v1/models/wide', { body: model(features) })).status).toBe(201);
    // The reference: 200 distinct longest categories in a; in b 1,000, more than a profile tracks by name.
    const reference = Array.from({ length: 1000 }, (_, i) => ({
      features: { a: name(i % 200, 256, 'ra'), b: name(i, 256, 'rb'), c: name(i % 3, 256, 'rc') },
      prediction: name(i, 256, 'rl'),
    }));
    expect((await api.call('PUT', '/v1/models/wide/baseline', { body: { records: reference } })).status).toBe(
      201,
    );
    const profiles = await items(tables.Governance, 'BASELINE#wide#1');
    for (const item of profiles) {
      expect(Buffer.byteLength(JSON.stringify(item))).toBeLessThan(100 * 1024);
    }
    const profileB = JSON.parse(profiles.find((p) => p.column === 'b')?.profile);
    // 64 KB of names: 254 of 258 bytes each, the rest `__other__`.
    expect(profileB.categories).toHaveLength(255);
    expect(profileB.categories).toContain('__other__');

    // A closed bucket, so that the evaluation compacts it.
    const timestamp = Date.now() - 5 * 60_000;
    for (const batch of [0, 1]) {
      const sent = await api.call('POST', '/v1/models/wide/predictions', {
        body: {
          records: Array.from({ length: 1000 }, (_, i) => ({
            timestamp,
            features: {
              a: name(batch * 1000 + i, 256, 'a'),
              b: name(batch * 1000 + i, 256, 'b'),
              c: name(i % 3, 256, 'rc'),
            },
            prediction: name(batch * 1000 + i, 256, 'l'),
          })),
        },
      });
      expect(sent.status).toBe(202);
    }

    const evaluation = await api.call('POST', '/v1/models/wide/evaluations');

    expect(evaluation.status).toBe(201);
    expect(evaluation.body.samples).toBe(2000);
    const a = evaluation.body.drift.columns.find((c: { name: string }) => c.name === 'a');
    // 2,000 new categories: the 254 that fit in 64 KB by name, the rest `__other__`.
    expect(a.stats.newCategoryCount).toBe(254);
    expect(a.stats.newCategories.length).toBeGreaterThan(0);
    expect(a.stats.newCategories.length).toBeLessThanOrEqual(10);
    expect(a.stats.missingCategoryCount).toBe(200);
    expect(a.drifted).toBe(true);
    // b's reference overflowed into `__other__`, so every unknown category is `__other__` too.
    const b = evaluation.body.drift.columns.find((c: { name: string }) => c.name === 'b');
    expect(b.stats).toMatchObject({ newCategoryCount: 0, missingCategoryCount: 254 });
    expect(evaluation.body.predictionDrift.stats.newCategories.length).toBeLessThanOrEqual(10);
    const stored = await itemBytes(tables.Governance, {
      pk: `EVAL#${evaluation.body.evaluationId}`,
      sk: '#EVAL',
    });
    expect(stored).toBeLessThan(64 * 1024);

    // The bucket was compacted into one merged delta that tracks the same 254 new categories by name.
    const bucket = Math.floor(timestamp / 60_000) * 60;
    const deltas = (await items(tables.Telemetry, `PROFILE#wide#60#${bucket}#0`)).filter((i) =>
      String(i.sk).startsWith('delta#'),
    );
    expect(deltas.every((d) => String(d.sk).includes('~'))).toBe(true);
    const merged: Record<string, Record<string, number>> = { a: {}, b: {} };
    for (const delta of deltas) {
      const columns = decodePayload(delta.payload);
      Object.assign(merged.a as object, columns.a);
      Object.assign(merged.b as object, columns.b);
    }
    expect(Object.keys(merged.a as object).filter((k) => k.startsWith('c:a'))).toHaveLength(254);
    expect(merged.a?.['c:__other__']).toBe(2000 - 254);
    expect(merged.b).toEqual({ 'c:__other__': 2000 });
    for (const delta of deltas) expect(Buffer.byteLength(JSON.stringify(delta))).toBeLessThan(ITEM_LIMIT);

    const again = await api.call('POST', '/v1/models/wide/evaluations');
    expect(again.body.drift.columns).toEqual(evaluation.body.drift.columns);
  });

  it('keeps the performance item of a bucket to three counters per tracked class, whatever labels arrive', async () => {
    const features = [{ name: 'x', type: 'numerical' }];
    const body = model(features, { groundTruth: { lookbackDays: 1 } });
    expect((await api.call('PUT', '/v1/models/labels', { body })).status).toBe(201);
    // The baseline tracks the 254 longest labels that fit in 64 KB.
    const reference = Array.from({ length: 254 }, (_, i) => ({
      features: { x: i },
      prediction: name(i, 256),
    }));
    expect(
      (await api.call('PUT', '/v1/models/labels/baseline', { body: { records: reference } })).status,
    ).toBe(201);
    // Every tracked label predicted and confused with another; 600 labels the baseline never saw.
    const records = [
      ...reference.map((r, i) => ({ predictionId: `t${i}`, features: r.features, prediction: r.prediction })),
      ...Array.from({ length: 600 }, (_, i) => ({
        predictionId: `u${i}`,
        features: { x: i },
        prediction: name(i, 256, 'u'),
      })),
    ];
    for (let i = 0; i < records.length; i += 500) {
      const sent = await api.call('POST', '/v1/models/labels/predictions', {
        body: { records: records.slice(i, i + 500) },
      });
      expect(sent.status).toBe(202);
    }
    const actuals = records.map((r, i) => ({
      predictionId: r.predictionId as string,
      // Half right; the rest a tracked label for another, or a label nobody predicted.
      actual: i % 2 === 0 ? r.prediction : i < 254 ? name((i + 1) % 254, 256) : name(i, 256, 'v'),
    }));
    for (let i = 0; i < actuals.length; i += 500) {
      const sent = await api.call('POST', '/v1/models/labels/actuals', {
        body: { records: actuals.slice(i, i + 500) },
      });
      expect(sent.status).toBe(202);
      expect(sent.body.matched).toBe(Math.min(500, actuals.length - i));
    }

    const evaluation = await api.call('POST', '/v1/models/labels/evaluations');

    expect(evaluation.status).toBe(201);
    const performance = evaluation.body.performance.fromActuals;
    expect(performance.samples).toBe(854);
    expect(performance.metrics.accuracy).toBe(427 / 854);
    expect(performance.classCount).toBe(255);
    expect(Object.keys(performance.classes)).toHaveLength(20);
    const bucket = Math.floor(Date.now() / 60_000) * 60;
    for (const t of [bucket, bucket - 60]) {
      const item = (await items(tables.Telemetry, `PROFILE#labels#60#${t}#0`)).find(
        (i) => i.sk === '@performance',
      );
      if (item) expect(Buffer.byteLength(JSON.stringify(item))).toBeLessThan(300 * 1024);
    }
  });

  it('counts at most 50 feedback categories per model and refuses the 51st with 400, writing nothing', async () => {
    const features = [{ name: 'x', type: 'numerical' }];
    expect((await api.call('PUT', '/v1/models/voices', { body: model(features) })).status).toBe(201);
    const category = (i: number) => `c${i}-`.padEnd(32, 'x');
    for (let i = 0; i < 50; i++) {
      const sent = await api.call('POST', '/v1/models/voices/feedback', {
        body: { category: category(i), message: 'slow' },
      });
      expect(sent.status).toBe(202);
    }
    const before = await api.snapshot();

    const refused = await api.call('POST', '/v1/models/voices/feedback', {
      body: { category: category(50), message: 'slow' },
    });

    expect(refused.status).toBe(400);
    expect(refused.body.error.issues).toEqual([{ path: 'category', message: expect.stringMatching(/50/) }]);
    expect(await api.snapshot()).toBe(before);
    const known = await api.call('POST', '/v1/models/voices/feedback', {
      body: { category: category(7), message: 'slow again' },
    });
    expect(known.status).toBe(202);
  });

  it('counts at most 100 metric names per model and refuses a batch naming a 101st with 400, writing nothing', async () => {
    const features = [{ name: 'x', type: 'numerical' }];
    expect((await api.call('PUT', '/v1/models/gauges', { body: model(features) })).status).toBe(201);
    const metric = (i: number) => `m${i}_`.padEnd(64, 'x');
    const first = await api.call('POST', '/v1/models/gauges/metrics', {
      body: { records: Array.from({ length: 100 }, (_, i) => ({ name: metric(i), value: i })) },
    });
    expect(first.status).toBe(202);
    const before = await api.snapshot();

    const refused = await api.call('POST', '/v1/models/gauges/metrics', {
      body: {
        records: [
          { name: metric(3), value: 1 },
          { name: metric(100), value: 1 },
        ],
      },
    });

    expect(refused.status).toBe(400);
    expect(refused.body.error.issues).toEqual([
      { path: 'records[1].name', message: expect.stringMatching(/at most 100 metric names/) },
    ]);
    expect(await api.snapshot()).toBe(before);
    expect(
      (
        await api.call('POST', '/v1/models/gauges/metrics', {
          body: { records: [{ name: metric(99), value: 2 }] },
        })
      ).status,
    ).toBe(202);
  });

  it('stores the largest model, and refuses more than 50 metrics in thresholds or a version with 400', async () => {
    // 254 characters: a 64-character local part and a domain of 63-character labels.
    const domain = `${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(57)}.com`;
    const email = (role: string, i: number) => `${`${role}${i}.`.padEnd(64, 'x')}@${domain}`;
    const largest = {
      ...model(
        Array.from({ length: 100 }, (_, i) => ({
          name: `f${i}`.padEnd(64, 'x'),
          type: 'categorical',
          // Data-quality rules at their largest: 8,100 of the 8,192 allowed characters, 3 bytes each.
          quality: {
            allowed: [String(i).padEnd(81, '€')],
            maxMissingShare: 0.123456789012345,
            maxOutOfRangeShare: 0.123456789012345,
            maxNewCategoryShare: 0.123456789012345,
          },
        })),
      ),
      name: 'n'.repeat(200),
      owner: 'o'.repeat(200),
      approvers: Object.fromEntries(
        Object.keys(approvers).map((role) => [role, Array.from({ length: 50 }, (_, i) => email(role, i))]),
      ),
      thresholds: {
        datasetDrift: { rule: 'fdr', alpha: 0.123456789012345 },
        drift: Object.fromEntries(
          Array.from({ length: 100 }, (_, i) => [`f${i}`.padEnd(64, 'x'), { method: 'psi', threshold: 0.2 }]),
        ),
        performance: Object.fromEntries(
          Array.from({ length: 50 }, (_, i) => [
            `m${i}`.padEnd(64, 'x'),
            { min: -0.123456789012345, max: 1234567.12345678, maxRelativeDrop: 0.123456789012345 },
          ]),
        ),
      },
    };
    expect(largest.approvers.qa?.[0]).toHaveLength(254);

    const stored = await api.call('PUT', '/v1/models/largest', { body: largest });
    expect(stored.status).toBe(201);
    expect(await itemBytes(tables.Governance, { pk: 'MODEL#largest', sk: '#MODEL' })).toBeLessThan(
      200 * 1024,
    );

    const over = structuredClone(largest);
    over.thresholds.performance.extra = { min: 0, max: 1, maxRelativeDrop: 0 };
    const refused = await api.call('PUT', '/v1/models/largest', { body: over });
    expect(refused.status).toBe(400);
    expect(refused.body.error.issues[0]).toMatchObject({ path: 'thresholds.performance' });

    const metrics = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`m${i}`, i]));
    const version = await api.call('POST', '/v1/models/largest/versions', {
      body: { version: '1.0.0', artifactUri: 's3://m/1', metrics },
    });
    expect(version.status).toBe(400);
    expect(version.body.error.issues[0]).toMatchObject({ path: 'metrics' });
  });
});
