import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDynamoDbClient, localTableNames } from '../../local/dynamodb.ts';
import { approvers, startTestApi, type TestApi } from '../support/api.ts';
import { countingDeltas } from '../support/deltas.ts';

const model = {
  name: 'Churn',
  owner: 'data-science@example.com',
  task: 'classification',
  features: [
    { name: 'age', type: 'numerical' },
    { name: 'plan', type: 'categorical' },
  ],
  schedule: { every: 'PT1H', window: 'PT1H', minSamples: 50 },
  thresholds: { performance: { accuracy: { min: 0.8 } } },
  approvers,
  groundTruth: { lookbackDays: 7 },
};

function seeded(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

function records(n: number, seed: number, prefix?: string) {
  const random = seeded(seed);
  return Array.from({ length: n }, (_, i) => ({
    ...(prefix ? { predictionId: `${prefix}-${i}` } : {}),
    features: {
      age: 20 + Math.floor(random() * 50),
      plan: ['basic', 'plus', 'pro'][Math.floor(random() * 3)],
    },
    prediction: random() < 0.5 ? 'churn' : 'stay',
  }));
}

/** Sum of the prediction column's counters over every window delta that counts: the records counted. */
async function countedRecords(api: TestApi): Promise<number> {
  const client = localDynamoDbClient(api.dynamoEndpoint);
  const items: Record<string, unknown>[] = [];
  let start: Record<string, never> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: localTableNames().Telemetry,
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    for (const raw of page.Items ?? []) items.push(unmarshall(raw));
    start = page.LastEvaluatedKey as typeof start;
  } while (start);
  client.destroy();
  let total = 0;
  for (const delta of await countingDeltas(items)) {
    for (const [name, value] of Object.entries(delta['@prediction'] ?? {})) {
      if (name.startsWith('c:') || name === 'miss') total += value;
    }
  }
  return total;
}

describe('registry and ingest API (local runtime on dynalite)', () => {
  let api: TestApi;
  let modelKey: string;
  let otherModelKey: string;

  beforeAll(async () => {
    api = await startTestApi();
    expect((await api.call('PUT', '/v1/models/churn', { body: model })).status).toBe(201);
    expect((await api.call('PUT', '/v1/models/other', { body: { ...model, name: 'Other' } })).status).toBe(
      201,
    );
    const baseline = await api.call('PUT', '/v1/models/churn/baseline', {
      body: { records: records(2000, 1), metrics: { accuracy: 0.91 } },
    });
    expect(baseline.status).toBe(201);
    modelKey = (await api.call('POST', '/v1/models/churn/keys')).body.key;
    otherModelKey = (await api.call('POST', '/v1/models/other/keys')).body.key;
  });
  afterAll(async () => api.close());

  describe('the registry', () => {
    it('registers (201), updates (200) and lists models with their production version and baseline', async () => {
      const updated = await api.call('PUT', '/v1/models/churn', {
        body: { ...model, owner: 'ml-platform@example.com' },
      });
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({
        modelId: 'churn',
        owner: 'ml-platform@example.com',
        baselineVersion: 1,
      });

      const list = await api.call('GET', '/v1/models');
      expect(list.status).toBe(200);
      expect(list.body.models.map((m: { modelId: string }) => m.modelId).sort()).toEqual(['churn', 'other']);

      const one = await api.call('GET', '/v1/models/churn');
      expect(one.body).toMatchObject({
        modelId: 'churn',
        baselineVersion: 1,
        schedule: { every: 'PT1H', window: 'PT1H', minSamples: 50 },
        thresholds: {
          driftShare: 0.5,
          bins: 10,
          consecutiveBreaches: 1,
          performance: { accuracy: { min: 0.8 } },
        },
        governance: { approvalTimeoutHours: 72, stabilisationSeconds: 3600, maxRetrainingCycles: 3 },
      });
      expect(one.body.keys.length).toBeGreaterThanOrEqual(1);
      expect(JSON.stringify(one.body)).not.toContain(modelKey);
    });

    it('sizes write shards for a declared load, and warns when it raises them', async () => {
      // 100,000 predictions/s in batches of 500 with 2 features: 200 deltas/s of 5 WCU each.
      const busy = { ...model, name: 'Busy', expectedLoad: { predictionsPerSecond: 100_000 } };
      const raised = await api.call('PUT', '/v1/models/busy', { body: busy });
      expect(raised.status).toBe(201);
      expect(raised.body.writeShards).toBe(2);
      expect(raised.body.expectedLoad).toEqual({ predictionsPerSecond: 100_000, recordsPerBatch: 500 });
      expect(raised.body.warnings).toEqual([
        { path: 'writeShards', message: expect.stringContaining('raised from 1 to 2') },
      ]);
      expect((await api.call('GET', '/v1/models/busy')).body.writeShards).toBe(2);

      const enough = await api.call('PUT', '/v1/models/busy', { body: { ...busy, writeShards: 8 } });
      expect(enough.status).toBe(200);
      expect(enough.body.writeShards).toBe(8);
      expect(enough.body.warnings).toBeUndefined();

      const beyond = await api.call('PUT', '/v1/models/busy', {
        body: { ...busy, expectedLoad: { predictionsPerSecond: 5_000_000, recordsPerBatch: 100 } },
      });
      expect(beyond.body.writeShards).toBe(64);
      expect(beyond.body.warnings).toEqual([
        { path: 'expectedLoad', message: expect.stringContaining('at most 64') },
      ]);

      const invalid = await api.call('PUT', '/v1/models/busy', {
        body: { ...busy, expectedLoad: { predictionsPerSecond: 0 } },
      });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error.issues.map((i: { path: string }) => i.path)).toEqual([
        'expectedLoad.predictionsPerSecond',
      ]);
      expect((await api.call('GET', '/v1/models/busy')).body.writeShards).toBe(64);
    });

    it('registers versions: the first becomes production, a repeated one is 409', async () => {
      const first = await api.call('POST', '/v1/models/churn/versions', {
        body: { version: '1.0.0', artifactUri: 's3://models/churn/1.0.0', metrics: { accuracy: 0.91 } },
      });
      expect(first.status).toBe(201);
      expect(first.body.productionVersion).toBe('1.0.0');
      const second = await api.call('POST', '/v1/models/churn/versions', {
        body: { version: '1.1.0', artifactUri: 's3://models/churn/1.1.0' },
      });
      expect(second.body.productionVersion).toBe('1.0.0');
      const again = await api.call('POST', '/v1/models/churn/versions', {
        body: { version: '1.0.0', artifactUri: 's3://x' },
      });
      expect(again.status).toBe(409);
      expect(again.body.error.issues[0].path).toBe('version');
      expect((await api.call('GET', '/v1/models/churn')).body.productionVersion).toBe('1.0.0');
    });

    it('fits a new baseline version each time', async () => {
      const second = await api.call('PUT', '/v1/models/other/baseline', {
        body: { records: records(300, 2) },
      });
      const third = await api.call('PUT', '/v1/models/other/baseline', {
        body: { records: records(300, 3) },
      });
      expect([second.body.baselineVersion, third.body.baselineVersion]).toEqual([1, 2]);
      expect(second.body.columns).toEqual({
        age: { type: 'numerical', count: 300, missing: 0 },
        plan: { type: 'categorical', count: 300, missing: 0 },
        '@prediction': { type: 'categorical', count: 300, missing: 0 },
      });
      expect((await api.call('GET', '/v1/models/other')).body.baselineVersion).toBe(2);
    });

    it('shows a new key once and revokes it at once', async () => {
      const created = await api.call('POST', '/v1/models/churn/keys');
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        keyId: expect.stringMatching(/^key_[0-9a-f]{16}$/),
        key: expect.stringMatching(/^vgl_/),
        scopes: ['ingest'],
        createdAt: expect.any(String),
      });
      const use = () =>
        api.call('POST', '/v1/models/churn/metrics', {
          key: created.body.key,
          body: { records: [{ name: 'latency_ms', value: 12 }] },
        });
      expect((await use()).status).toBe(202);

      const revoked = await api.call('DELETE', `/v1/models/churn/keys/${created.body.keyId}`);
      expect(revoked).toEqual({ status: 200, body: { keyId: created.body.keyId, revoked: true } });
      expect((await use()).status).toBe(401);
      expect((await api.call('DELETE', `/v1/models/churn/keys/${created.body.keyId}`)).status).toBe(404);
    });

    it('serves an OpenAPI 3.1 document generated from the request schemas', async () => {
      const doc = await api.call('GET', '/openapi.json', { key: null });
      expect(doc.status).toBe(200);
      expect(doc.body.openapi).toBe('3.1.0');
      const predictions = doc.body.paths['/v1/models/{modelId}/predictions'].post;
      const schema = predictions.requestBody.content['application/json'].schema;
      expect(schema.required).toEqual(['records']);
      expect(schema.properties.records.items.required).toEqual(['features', 'prediction']);
      expect(
        doc.body.paths['/v1/models/{modelId}'].put.requestBody.content['application/json'].schema.properties
          .task.enum,
      ).toEqual(['classification', 'regression']);
      const keys = doc.body.paths['/v1/models/{modelId}/keys'].post.requestBody;
      expect(keys.required).toBe(false);
      expect(keys.content['application/json'].schema.properties.scopes.items.enum).toEqual([
        'ingest',
        'candidate',
        'agent',
      ]);
    });
  });

  describe('ingestion', () => {
    it('accepts predictions with the model key (202) and counts every record once', async () => {
      const before = await countedRecords(api);
      const sent = await api.call('POST', '/v1/models/churn/predictions', {
        key: modelKey,
        body: { records: records(300, 4, 'a') },
      });
      expect(sent).toEqual({ status: 202, body: { accepted: 300 } });
      expect((await countedRecords(api)) - before).toBe(300);
    });

    it('joins actuals to stored predictions; a replayed actual matches but counts once', async () => {
      await api.call('POST', '/v1/models/churn/predictions', {
        key: modelKey,
        body: { records: records(10, 5, 'j') },
      });
      const body = {
        records: [
          { predictionId: 'j-1', actual: 'churn' },
          { predictionId: 'j-2', actual: 'stay' },
          { predictionId: 'nope', actual: 'stay' },
        ],
      };
      const first = await api.call('POST', '/v1/models/churn/actuals', { key: modelKey, body });
      expect(first).toEqual({ status: 202, body: { matched: 2, unmatched: 1 } });
      const replay = await api.call('POST', '/v1/models/churn/actuals', { key: modelKey, body });
      expect(replay).toEqual({ status: 202, body: { matched: 2, unmatched: 1 } });

      const client = localDynamoDbClient(api.dynamoEndpoint);
      const { Items } = await client.send(new ScanCommand({ TableName: localTableNames().Telemetry }));
      client.destroy();
      const deltas = await countingDeltas((Items ?? []).map((i) => unmarshall(i)));
      expect(deltas.reduce((n, delta) => n + (delta['@performance']?.n ?? 0), 0)).toBe(2);
    });

    it('accepts metric points and feedback', async () => {
      const points = await api.call('POST', '/v1/models/churn/metrics', {
        key: modelKey,
        body: {
          records: [
            { name: 'accuracy', value: 0.88 },
            { name: 'latency_ms', value: 41, timestamp: Date.now() - 1000 },
          ],
        },
      });
      expect(points).toEqual({ status: 202, body: { accepted: 2 } });
      const feedback = await api.call('POST', '/v1/models/churn/feedback', {
        key: modelKey,
        body: {
          category: 'complaint',
          message: 'The churn score flagged our best customer.',
          predictionId: 'a-1',
        },
      });
      expect(feedback.status).toBe(202);
      expect(feedback.body).toEqual({ accepted: 1, feedbackId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    });

    it('counts 20 concurrent batches exactly once each, one of them replayed', async () => {
      const before = await countedRecords(api);
      const batches = Array.from({ length: 20 }, (_, i) => ({
        batchId: `concurrent-${i}`,
        records: records(50 + i, 100 + i),
      }));
      const replayed = batches[7];
      const responses = await Promise.all(
        [...batches, replayed].map((body) =>
          api.call('POST', '/v1/models/churn/predictions', { key: modelKey, body }),
        ),
      );
      const sentOnce = batches.reduce((n, b) => n + b.records.length, 0);
      for (const response of responses) expect([202, 409]).toContain(response.status);
      // A replay racing its original is told to retry (409); retried, it is answered as a replay.
      if (responses.some((r) => r.status === 409)) {
        const retry = await api.call('POST', '/v1/models/churn/predictions', {
          key: modelKey,
          body: replayed,
        });
        expect(retry.status).toBe(202);
      }
      const again = await api.call('POST', '/v1/models/churn/predictions', { key: modelKey, body: replayed });
      expect(again).toEqual({ status: 202, body: { accepted: replayed?.records.length, replayed: true } });
      expect((await countedRecords(api)) - before).toBe(sentOnce);
    });
  });

  describe('refusals: 4xx naming the field, nothing written', () => {
    const good = () => ({ records: records(3, 9) });
    const future = new Date(Date.now() + 3600_000).toISOString();
    const cases: {
      name: string;
      method: string;
      path: string;
      key?: 'none' | 'bad' | 'model' | 'otherModel';
      body?: unknown;
      raw?: string;
      contentType?: string;
      status: number;
      field: string;
    }[] = [
      {
        name: 'no key',
        method: 'POST',
        path: '/v1/models/churn/predictions',
        key: 'none',
        body: good(),
        status: 401,
        field: 'x-api-key',
      },
      {
        name: 'unknown key',
        method: 'POST',
        path: '/v1/models/churn/predictions',
        key: 'bad',
        body: good(),
        status: 401,
        field: 'x-api-key',
      },
      {
        name: 'model key on another model',
        method: 'POST',
        path: '/v1/models/churn/predictions',
        key: 'otherModel',
        body: good(),
        status: 403,
        field: 'x-api-key',
      },
      {
        name: 'model key on an admin route',
        method: 'PUT',
        path: '/v1/models/churn',
        key: 'model',
        body: model,
        status: 403,
        field: 'x-api-key',
      },
      {
        name: 'model key creating keys',
        method: 'POST',
        path: '/v1/models/churn/keys',
        key: 'model',
        status: 403,
        field: 'x-api-key',
      },
      {
        name: 'model key listing models',
        method: 'GET',
        path: '/v1/models',
        key: 'model',
        status: 403,
        field: 'x-api-key',
      },
      {
        name: 'unknown model',
        method: 'POST',
        path: '/v1/models/ghost/predictions',
        body: good(),
        status: 404,
        field: 'modelId',
      },
      {
        name: 'bad model id',
        method: 'PUT',
        path: '/v1/models/bad%20id!',
        body: model,
        status: 400,
        field: 'path.modelId',
      },
      {
        name: 'not JSON',
        method: 'POST',
        path: '/v1/models/churn/predictions',
        raw: '{"records": [',
        status: 400,
        field: '(body)',
      },
      {
        name: 'wrong media type',
        method: 'POST',
        path: '/v1/models/churn/predictions',
        raw: 'a,b',
        contentType: 'text/csv',
        status: 415,
        field: 'content-type',
      },
      {
        name: 'no records',
        method: 'POST',
        path: '/v1/models/churn/predictions',
        body: { records: [] },
        status: 400,
        field: 'records',
      },
      {
        name: 'too many records',
        method: 'POST',
        path: '/v1/models/churn/predictions',
        body: { records: records(1001, 10) },
        status: 413,
        field: 'records',
      },
      {
        name: 'unknown feature',
        method: 'POST',
        path: '/v1/models/churn/predictions',
        body: { records: [{ features: { age: 3, zip: 'x' }, prediction: 'stay' }] },
        status: 400,
        field: 'records[0].features.zip',
      },
      {
        name: 'text in a numerical feature',
        method: 'POST',
        path: '/v1/models/churn/predictions',
        body: { records: [...records(2, 11), { features: { age: 'old' }, prediction: 'stay' }] },
        status: 400,
        field: 'records[2].features.age',
      },
      {
        name: 'non-finite number',
        method: 'POST',
        path: '/v1/models/churn/predictions',
        raw: '{"records":[{"features":{"age":1e999},"prediction":"stay"}]}',
        status: 400,
        field: 'records[0].features.age',
      },
      {
        name: 'missing prediction',
        method: 'POST',
        path: '/v1/models/churn/predictions',
        body: { records: [{ features: { age: 3 } }] },
        status: 400,
        field: 'records[0].prediction',
      },
      {
        name: 'timestamp in the future',
        method: 'POST',
        path: '/v1/models/churn/predictions',
        body: { records: [{ features: { age: 3 }, prediction: 'stay', timestamp: future }] },
        status: 400,
        field: 'records[0].timestamp',
      },
      {
        name: 'malformed timestamp',
        method: 'POST',
        path: '/v1/models/churn/predictions',
        body: { records: [{ features: { age: 3 }, prediction: 'stay', timestamp: 'yesterday' }] },
        status: 400,
        field: 'records[0].timestamp',
      },
      {
        name: 'unexpected record field',
        method: 'POST',
        path: '/v1/models/churn/predictions',
        body: { records: [{ features: { age: 3 }, prediction: 'stay', extra: 1 }] },
        status: 400,
        field: 'records[0]',
      },
      {
        name: 'batch id with spaces',
        method: 'POST',
        path: '/v1/models/churn/predictions',
        body: { batchId: 'a b', records: records(1, 12) },
        status: 400,
        field: 'batchId',
      },
      {
        name: 'actual without prediction id',
        method: 'POST',
        path: '/v1/models/churn/actuals',
        body: { records: [{ actual: 'stay' }] },
        status: 400,
        field: 'records[0].predictionId',
      },
      {
        name: 'metric without value',
        method: 'POST',
        path: '/v1/models/churn/metrics',
        body: { records: [{ name: 'accuracy' }] },
        status: 400,
        field: 'records[0].value',
      },
      {
        name: 'metric with a bad name',
        method: 'POST',
        path: '/v1/models/churn/metrics',
        body: { records: [{ name: '1 bad', value: 1 }] },
        status: 400,
        field: 'records[0].name',
      },
      {
        name: 'empty feedback message',
        method: 'POST',
        path: '/v1/models/churn/feedback',
        body: { category: 'complaint', message: '  ' },
        status: 400,
        field: 'message',
      },
      {
        name: 'model without approvers',
        method: 'PUT',
        path: '/v1/models/new-model',
        body: { ...model, approvers: { ...approvers, qa: [] } },
        status: 400,
        field: 'approvers.qa',
      },
      {
        name: 'model with a bad email',
        method: 'PUT',
        path: '/v1/models/new-model',
        body: { ...model, approvers: { ...approvers, legal: ['not-an-email'] } },
        status: 400,
        field: 'approvers.legal[0]',
      },
      {
        name: 'model with a bad duration',
        method: 'PUT',
        path: '/v1/models/new-model',
        body: { ...model, schedule: { every: 'daily' } },
        status: 400,
        field: 'schedule.every',
      },
      {
        name: 'model with duplicate features',
        method: 'PUT',
        path: '/v1/models/new-model',
        body: { ...model, features: [model.features[0], model.features[0]] },
        status: 400,
        field: 'features[1].name',
      },
      {
        name: 'model with an unknown task',
        method: 'PUT',
        path: '/v1/models/new-model',
        body: { ...model, task: 'ranking' },
        status: 400,
        field: 'task',
      },
      {
        name: 'version that is not semantic',
        method: 'POST',
        path: '/v1/models/churn/versions',
        body: { version: 'v2', artifactUri: 's3://x' },
        status: 400,
        field: 'version',
      },
      {
        name: 'baseline with a text age',
        method: 'PUT',
        path: '/v1/models/churn/baseline',
        body: { records: [{ features: { age: 'x' }, prediction: 'stay' }] },
        status: 400,
        field: 'records[0].features.age',
      },
      {
        name: 'revoking an unknown key',
        method: 'DELETE',
        path: '/v1/models/churn/keys/key_0000000000000000',
        status: 404,
        field: 'keyId',
      },
      {
        name: 'predictions before a baseline',
        method: 'POST',
        path: '/v1/models/other-no-baseline/predictions',
        body: good(),
        status: 404,
        field: 'modelId',
      },
    ];

    it(`has at least 25 distinct refusals (${cases.length})`, () => {
      expect(new Set(cases.map((c) => c.name)).size).toBeGreaterThanOrEqual(25);
    });

    it.each(cases)('$name → $status naming $field', async (c) => {
      const keys = { none: null, bad: 'vgl_not-a-key', model: modelKey, otherModel: otherModelKey };
      const key = c.key === undefined ? undefined : keys[c.key];
      const before = await api.snapshot();

      const response = await api.call(c.method, c.path, {
        key,
        ...(c.body !== undefined ? { body: c.body } : {}),
        ...(c.raw !== undefined ? { raw: c.raw } : {}),
        ...(c.contentType ? { contentType: c.contentType } : {}),
      });

      expect(response.status).toBe(c.status);
      expect(response.body.error.code).toEqual(expect.any(String));
      expect(response.body.error.issues.map((i: { path: string }) => i.path)).toContain(c.field);
      expect(await api.snapshot()).toBe(before);
    });

    it('refuses predictions for a model with no baseline yet (409)', async () => {
      await api.call('PUT', '/v1/models/fresh', { body: model });
      const before = await api.snapshot();
      const response = await api.call('POST', '/v1/models/fresh/predictions', { body: good() });
      expect(response.status).toBe(409);
      expect(response.body.error.issues[0].path).toBe('baseline');
      expect(await api.snapshot()).toBe(before);
    });
  });
});
