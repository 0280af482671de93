import { createHash, randomBytes } from 'node:crypto';
import { type AttributeValue, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { dynamoDbClient } from '#clients/dynamodb-low-level';
import { DEFAULT_KEY_SCOPES, KEY_SCOPES, type KeyScope } from '#commons/api/principal';
import { requireEnv } from '#commons/config';
import { governanceKeys as keys } from './keys.ts';

/**
 * A model key and its lookup, for the request authorizer: the low-level DynamoDB client and
 * attribute values read here, so the authorizer loads no document client at a cold start.
 */

const table = requireEnv('GOVERNANCE_TABLE');

const MODEL_KEY_PREFIX = 'vgl_';
const MODEL_KEY_BYTES = 32;
/** `vgl_` and 32 random bytes in unpadded base64url: the shape of every model key. */
const MODEL_KEY_SHAPE = /^vgl_[A-Za-z0-9_-]{43}$/;

/** A new model key: 256 random bits, with a prefix that tells it from the admin key. */
export function newModelKey(): string {
  return `${MODEL_KEY_PREFIX}${randomBytes(MODEL_KEY_BYTES).toString('base64url')}`;
}

/**
 * Whether `key` has the shape of a model key. The authorizer looks such a key up first and
 * reads the admin key's secret only for another key (or one no active model key matches).
 */
export function hasModelKeyShape(key: string): boolean {
  return MODEL_KEY_SHAPE.test(key);
}

/** SHA-256 of an API key: keys are 256-bit random secrets, so a fast hash is a safe one. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A key item's scopes: keys made before scopes existed are `ingest` keys. */
export function storedScopes(value: unknown): KeyScope[] {
  return Array.isArray(value) ? KEY_SCOPES.filter((scope) => value.includes(scope)) : [...DEFAULT_KEY_SCOPES];
}

/** The model key with this hash, when it exists and is not revoked; a key without scopes is `ingest`. */
export async function findActiveKey(
  hash: string,
): Promise<{ modelId: string; keyId: string; scopes: KeyScope[] } | undefined> {
  const { pk, sk } = keys.apiKey(hash);
  const { Item } = await dynamoDbClient.send(
    new GetItemCommand({
      TableName: table,
      Key: { pk: { S: pk }, sk: { S: sk } },
      ConsistentRead: true,
    }),
  );
  if (!Item || Item.revokedAt) return undefined;
  return {
    modelId: stringOf(Item.modelId),
    keyId: stringOf(Item.keyId),
    scopes: storedScopes(Item.scopes?.L?.map((scope) => scope.S)),
  };
}

function stringOf(value: AttributeValue | undefined): string {
  if (value?.S === undefined) throw new Error('A key item holds a non-string attribute');
  return value.S;
}
