import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDynamoDbClient, localTableNames, startDynalite } from '../../local/dynamodb.ts';
import { spawnRuntime } from '../support/process.ts';

describe('npm start (local runtime)', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'vigil-runtime-'));
  });
  afterAll(async () => rm(dataDir, { recursive: true, force: true }));

  it('serves /healthz, stops with exit code 0 on SIGINT, and keeps its data and admin key across a restart', async () => {
    const first = await spawnRuntime({ VIGIL_DATA_DIR: dataDir });
    let generatedKey: string | undefined;
    try {
      const health = await fetch(`${first.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      generatedKey = /admin key: (\S+) \(new/.exec(first.output())?.[1];
      expect(generatedKey).toMatch(/^vgl_admin_[A-Za-z0-9_-]{43}$/);

      // A second runtime on the same data dir is refused, not corrupted.
      await expect(spawnRuntime({ VIGIL_DATA_DIR: dataDir })).rejects.toThrow(
        /in use by another Vigil runtime/,
      );
    } finally {
      expect(await first.stop('SIGINT')).toBe(0);
    }

    const keyFile = path.join(dataDir, 'admin-key');
    expect((await readFile(keyFile, 'utf8')).trim()).toBe(generatedKey);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);

    // Write an item into the runtime's own store while it is stopped...
    const names = localTableNames();
    const Key = { pk: { S: 'restart-check' }, sk: { S: 'item' } };
    const store = await startDynalite({ path: path.join(dataDir, 'dynamodb') });
    const client = localDynamoDbClient(store.endpoint);
    await client.send(
      new PutItemCommand({ TableName: names.Governance, Item: { ...Key, value: { N: '42' } } }),
    );
    client.destroy();
    await store.close();

    // ...restart it (tables exist, nothing is recreated), stop it with SIGTERM, and read the item back.
    const second = await spawnRuntime({ VIGIL_DATA_DIR: dataDir });
    try {
      expect(second.output()).toContain(`admin key: ${generatedKey}`);
      expect(second.output()).not.toContain('(new');
      expect((await fetch(`${second.url}/healthz`)).status).toBe(200);
    } finally {
      expect(await second.stop('SIGTERM')).toBe(0);
    }

    const reopened = await startDynalite({ path: path.join(dataDir, 'dynamodb') });
    const reader = localDynamoDbClient(reopened.endpoint);
    const { Item } = await reader.send(new GetItemCommand({ TableName: names.Governance, Key }));
    reader.destroy();
    await reopened.close();
    expect(Item?.value).toEqual({ N: '42' });
  });

  it('uses VIGIL_ADMIN_KEY when given and answers unknown routes with a JSON 404', async () => {
    const runtime = await spawnRuntime({ VIGIL_DATA_DIR: dataDir, VIGIL_ADMIN_KEY: 'given-admin-key' }, []);
    try {
      expect(runtime.output()).toContain('admin key: given-admin-key');
      const response = await fetch(`${runtime.url}/nowhere`);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({
        error: { code: 'not_found', message: 'No route for GET /nowhere', issues: [] },
      });
      const wrongMethod = await fetch(`${runtime.url}/healthz`, { method: 'POST' });
      expect(wrongMethod.status).toBe(405);
    } finally {
      expect(await runtime.stop()).toBe(0);
    }
  });
});
