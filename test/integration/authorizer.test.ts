import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startTestDynamoDb, type TestDynamoDb, useLocalDynamoDb } from '../support/dynalite.ts';

const secretsManager = mockClient(SecretsManagerClient);
/** What the stack's secret generates: 48 letters and digits. */
const ADMIN_KEY = 'Q7cXk2Lm9PzR4tVb8NwY3hJd6FsGq1Ae5UoIiKy0TnMrWxZe';
const base = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/v1';

const event = (key?: string) =>
  ({
    type: 'REQUEST',
    methodArn: `${base}/POST/v1/models/scoped/predictions`,
    headers: key === undefined ? {} : { 'X-Api-Key': key },
  }) as unknown as APIGatewayRequestAuthorizerEvent;

/** The authorizer as a fresh execution environment loads it: its admin-key cache empty. */
async function authorizer() {
  vi.resetModules();
  return (await import('../../functions/authorizer.ts')).handler;
}

/**
 * The request authorizer in AWS: the admin key from Secrets Manager (mocked: outside the
 * process), model keys from the governance table (dynalite). Model keys, whose shape the
 * authorizer knows, never need the secret.
 */
describe('the request authorizer', () => {
  let db: TestDynamoDb;
  let store: typeof import('../../functions/commons/registry/store.ts');
  beforeAll(async () => {
    db = await startTestDynamoDb();
    useLocalDynamoDb(db.endpoint, db.tableNames, {
      ADMIN_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:admin',
    });
    delete process.env.VIGIL_ADMIN_KEY;
    store = await import('../../functions/commons/registry/store.ts');
  });
  afterAll(async () => {
    await db?.close();
  });
  beforeEach(() => {
    secretsManager.reset();
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: ADMIN_KEY });
  });

  it('lets a model key through to its routes by its scopes without reading the admin key secret', async () => {
    // Prepare
    const made = await store.createModelKey('scoped', ['ingest', 'agent']);
    const handler = await authorizer();

    // Act
    const result = await handler(event(made.key));

    // Assess
    expect(made.key).toMatch(/^vgl_[A-Za-z0-9_-]{43}$/);
    expect(result.principalId).toBe(`model:scoped:${made.keyId}`);
    expect(result.context).toEqual({
      principal: 'model',
      modelId: 'scoped',
      keyId: made.keyId,
      scopes: 'ingest agent',
    });
    expect(result.policyDocument.Statement[0]).toMatchObject({
      Effect: 'Allow',
      Resource: [
        ...['predictions', 'actuals', 'metrics', 'feedback'].map(
          (route) => `${base}/POST/v1/models/scoped/${route}`,
        ),
        `${base}/POST/v1/incidents/*/decisions`,
      ],
    });
    expect(secretsManager).not.toHaveReceivedCommand(GetSecretValueCommand);
  });

  it('lets the admin key through to every route, reading its secret once for five minutes', async () => {
    // Prepare
    const handler = await authorizer();

    // Act
    const first = await handler(event(ADMIN_KEY));
    const second = await handler(event(ADMIN_KEY));

    // Assess
    for (const result of [first, second]) {
      expect(result.principalId).toBe('admin');
      expect(result.context).toEqual({ principal: 'admin' });
      expect(result.policyDocument.Statement[0]).toMatchObject({ Resource: [`${base}/*/*`] });
    }
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(secretsManager).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:admin',
    });
  });

  it('recognises an admin key an operator gave the shape of a model key', async () => {
    // Prepare
    const adminLikeModelKey = `vgl_${'A'.repeat(43)}`;
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: adminLikeModelKey });
    const handler = await authorizer();

    // Act
    const result = await handler(event(adminLikeModelKey));

    // Assess
    expect(result.principalId).toBe('admin');
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('refuses with 401 a missing, unknown or revoked key, whatever its shape', async () => {
    // Prepare
    const revoked = await store.createModelKey('scoped');
    await store.revokeModelKey('scoped', revoked.keyId);
    const handler = await authorizer();

    // Act / Assess
    await expect(handler(event())).rejects.toThrow('Unauthorized');
    await expect(handler(event(revoked.key))).rejects.toThrow('Unauthorized');
    await expect(handler(event(`vgl_${'b'.repeat(43)}`))).rejects.toThrow('Unauthorized');
    await expect(handler(event('not-a-key'))).rejects.toThrow('Unauthorized');
    await expect(handler(event(`${ADMIN_KEY}x`))).rejects.toThrow('Unauthorized');
  });

  it('reads a key item without scopes, made before scopes existed, as an ingest key', async () => {
    // Prepare
    const key = `vgl_${'c'.repeat(43)}`;
    await db.client.send(
      new PutItemCommand({
        TableName: db.tableNames.Governance,
        Item: {
          pk: { S: `KEY#${store.hashKey(key)}` },
          sk: { S: '#KEY' },
          keyId: { S: 'key_legacy' },
          modelId: { S: 'scoped' },
          createdAt: { S: '2025-01-01T00:00:00.000Z' },
        },
      }),
    );
    const handler = await authorizer();

    // Act
    const result = await handler(event(key));

    // Assess
    expect(result.context).toEqual({
      principal: 'model',
      modelId: 'scoped',
      keyId: 'key_legacy',
      scopes: 'ingest',
    });
    expect(secretsManager).not.toHaveReceivedCommand(GetSecretValueCommand);
  });
});
