import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvers, startTestApi, type TestApi } from '../support/api.ts';

/**
 * A model's versions and keys: the model answers the first page of each, and their routes page
 * through the rest, every one once, however many DynamoDB pages they take.
 */
describe("paged lists of a model's versions and keys", () => {
  let api: TestApi;
  // 110 versions with notes of 10,000 three-byte characters: 30 KB each, so a page of 50 takes two
  // DynamoDB pages (1 MB at most each).
  const versions = Array.from({ length: 110 }, (_, i) => `1.0.${String(i).padStart(3, '0')}`);
  const keyIds: string[] = [];

  beforeAll(async () => {
    api = await startTestApi();
    for (const modelId of ['paged', 'other']) {
      const body = {
        name: modelId,
        owner: 'ops@example.com',
        task: 'classification',
        features: [{ name: 'x', type: 'numerical' }],
        approvers,
      };
      expect((await api.call('PUT', `/v1/models/${modelId}`, { body })).status).toBe(201);
    }
    const store = await import('../../functions/commons/registry/store.ts');
    for (const version of versions) {
      await store.addVersion('paged', {
        version,
        artifactUri: `s3://m/${version}`,
        metrics: {},
        notes: '€'.repeat(10_000),
      });
    }
    await store.addVersion('other', { version: '2.0.0', artifactUri: 's3://m/2', metrics: {}, notes: '' });
    for (let i = 0; i < 105; i++) keyIds.push((await store.createModelKey('paged', ['ingest'])).keyId);
    await store.createModelKey('other', ['ingest']);
    keyIds.sort();
  }, 120_000);

  afterAll(async () => {
    await api?.close();
  });

  /** Every page of a list route, in order, each with the `id` field of its items. */
  async function pages(path: string, field: string, id: string, token?: string) {
    const out: string[][] = [];
    let nextToken = token;
    do {
      const separator = path.includes('?') ? '&' : '?';
      const page = await api.call(
        'GET',
        nextToken ? `${path}${separator}nextToken=${encodeURIComponent(nextToken)}` : path,
      );
      expect(page.status).toBe(200);
      out.push(page.body[field].map((item: Record<string, string>) => item[id]));
      nextToken = page.body.nextToken;
    } while (nextToken);
    return out;
  }

  it('answers the first page of versions and keys with the model, and a token for the rest of each', async () => {
    const model = await api.call('GET', '/v1/models/paged');
    expect(model.status).toBe(200);
    expect(model.body.versions.map((v: { version: string }) => v.version)).toEqual(versions.slice(0, 50));
    expect(model.body.keys.map((k: { keyId: string }) => k.keyId)).toEqual(keyIds.slice(0, 100));
    expect(model.body.keys[0]).not.toHaveProperty('hash');
    const rest = await pages(
      '/v1/models/paged/versions',
      'versions',
      'version',
      model.body.versionsNextToken,
    );
    expect([...versions.slice(0, 50), ...rest.flat()]).toEqual(versions);
    const restKeys = await pages('/v1/models/paged/keys', 'keys', 'keyId', model.body.keysNextToken);
    expect([...keyIds.slice(0, 100), ...restKeys.flat()]).toEqual(keyIds);

    const other = await api.call('GET', '/v1/models/other');
    expect(other.body.versions).toHaveLength(1);
    expect(other.body.keys).toHaveLength(1);
    expect(other.body).not.toHaveProperty('versionsNextToken');
    expect(other.body).not.toHaveProperty('keysNextToken');
  });

  it('lists every version across DynamoDB pages, 50 a page at most, each once', async () => {
    const listed = await pages('/v1/models/paged/versions', 'versions', 'version');
    expect(listed.map((page) => page.length)).toEqual([50, 50, 10]);
    expect(listed.flat()).toEqual(versions);
    const small = await pages('/v1/models/paged/versions?limit=7', 'versions', 'version');
    expect(small.flat()).toEqual(versions);
    expect(small.slice(0, -1).every((page) => page.length === 7)).toBe(true);
  });

  it('lists every key, 100 a page at most, each once', async () => {
    const listed = await pages('/v1/models/paged/keys', 'keys', 'keyId');
    expect(listed.map((page) => page.length)).toEqual([100, 5]);
    expect(listed.flat()).toEqual(keyIds);
    expect((await pages('/v1/models/paged/keys?limit=40', 'keys', 'keyId')).flat()).toEqual(keyIds);
  });

  it('refuses a limit out of range and a token of another listing with a 400 naming the field', async () => {
    for (const [path, limit] of [
      ['/v1/models/paged/versions', 51],
      ['/v1/models/paged/keys', 101],
      ['/v1/models/paged/keys', 0],
    ] as const) {
      const over = await api.call('GET', `${path}?limit=${limit}`);
      expect(over.status).toBe(400);
      expect(over.body.error.issues[0].path).toBe('query.limit');
    }
    const token = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
    const forged = [
      token({ pk: 'MODEL#other', sk: 'VERSION#2.0.0' }), // another model's version
      token({ pk: 'MODEL#paged', sk: 'KEY#key_0000000000000000' }), // a key, on the versions route
      token({ pk: 'MODEL#paged', sk: 'VERSION#1.0.000', gsi1pk: 'MODELS' }), // an extra attribute
      token(['MODEL#paged']),
      'not base64 json',
      '%%%',
    ];
    for (const nextToken of forged) {
      const refused = await api.call(
        'GET',
        `/v1/models/paged/versions?nextToken=${encodeURIComponent(nextToken)}`,
      );
      expect(refused.status).toBe(400);
      expect(refused.body.error.issues[0].path).toBe('query.nextToken');
    }
    const keyRefused = await api.call(
      'GET',
      `/v1/models/paged/keys?nextToken=${token({ pk: 'MODEL#paged', sk: 'VERSION#1.0.000' })}`,
    );
    expect(keyRefused.status).toBe(400);
    expect(keyRefused.body.error.issues[0].path).toBe('query.nextToken');
  });

  it("reads every model's approvers alone for delivery, not whole models", async () => {
    const { listModelApprovers } = await import('../../functions/commons/registry/store.ts');
    expect(await listModelApprovers()).toEqual([
      { modelId: 'other', approvers },
      { modelId: 'paged', approvers },
    ]);
  });

  it('answers 404 for an unknown model and 403 for a model key', async () => {
    const unknown = await api.call('GET', '/v1/models/nobody/versions');
    expect(unknown.status).toBe(404);
    const { key } = (await api.call('POST', '/v1/models/other/keys')).body;
    const refused = await api.call('GET', '/v1/models/other/keys', { key });
    expect(refused.status).toBe(403);
  });
});
