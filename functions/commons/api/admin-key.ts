import { timingSafeEqual } from 'node:crypto';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { hashKey } from '../registry/key-lookup.ts';

const secretArn = process.env.ADMIN_KEY_SECRET_ARN;
const localKey = process.env.VIGIL_ADMIN_KEY;
if (!secretArn && !localKey)
  throw new Error('Missing required environment variable ADMIN_KEY_SECRET_ARN or VIGIL_ADMIN_KEY');

const CACHE_MS = 5 * 60 * 1000;
let cached: { hash: Buffer; until: number } | undefined;
let client: SecretsManagerClient | undefined;
/**
 * The Secrets Manager client code, loaded on the first read of the secret (once per container):
 * model keys, most of the authorizer's calls, never need it.
 */
let sdk: Promise<typeof import('../approvals/secrets-client.ts')> | undefined;

/**
 * The admin key's hash: from Secrets Manager in AWS (cached for five minutes, so a rotation
 * applies within that time), from VIGIL_ADMIN_KEY locally.
 */
async function adminKeyHash(): Promise<Buffer> {
  if (!secretArn) return Buffer.from(hashKey(localKey as string), 'hex');
  if (cached && cached.until > Date.now()) return cached.hash;
  sdk ??= import('../approvals/secrets-client.ts');
  const { newSecretsManagerClient, GetSecretValueCommand } = await sdk;
  client ??= newSecretsManagerClient();
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (!SecretString) throw new Error('The admin key secret is empty');
  cached = { hash: Buffer.from(hashKey(SecretString), 'hex'), until: Date.now() + CACHE_MS };
  return cached.hash;
}

/** Compares in constant time, on hashes, so neither the key nor its length leaks through timing. */
export async function isAdminKey(key: string): Promise<boolean> {
  return timingSafeEqual(Buffer.from(hashKey(key), 'hex'), await adminKeyHash());
}
