import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

const secretArn = process.env.SIGNING_SECRET_ARN;
const localSecret = process.env.VIGIL_SIGNING_SECRET;
if (!secretArn && !localSecret) {
  throw new Error('Missing required environment variable SIGNING_SECRET_ARN or VIGIL_SIGNING_SECRET');
}

const CACHE_MS = 5 * 60 * 1000;
let cached: { key: Buffer; until: number } | undefined;
let client: SecretsManagerClient | undefined;
/** The Secrets Manager client code, loaded on the first read of the secret (once per container). */
let sdk: Promise<typeof import('./secrets-client.ts')> | undefined;

/** The HMAC key: Secrets Manager in AWS (cached five minutes), VIGIL_SIGNING_SECRET locally. */
export async function signingKey(): Promise<Buffer> {
  if (!secretArn) return Buffer.from(localSecret as string, 'utf8');
  if (cached && cached.until > Date.now()) return cached.key;
  sdk ??= import('./secrets-client.ts');
  const { newSecretsManagerClient, GetSecretValueCommand } = await sdk;
  client ??= newSecretsManagerClient();
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (!SecretString) throw new Error('The approval signing secret is empty');
  cached = { key: Buffer.from(SecretString, 'utf8'), until: Date.now() + CACHE_MS };
  return cached.key;
}

/**
 * What a signature authorises: `link` opens the page of an approval for one recipient (in the
 * email's URL), `form` decides it (in the page's form), `view` opens a read-only page (an
 * incident, an evaluation report) for one recipient, `page` opens one further page of a long
 * list on such a page (`decision-pages.ts`), and nothing else. Each binds what it opens, the
 * recipient and the expiry; none carries the task token.
 */
export type SignaturePurpose = 'link' | 'form' | 'view' | 'page';

export interface Signed {
  /** The approval; for `view`, the page (`incident:{id}`, `evaluation:{id}`); for `page`, the list and its place. */
  readonly approvalId: string;
  readonly recipient: string;
  readonly expiresAt: string;
}

function mac(key: Buffer, purpose: SignaturePurpose, signed: Signed): Buffer {
  return createHmac('sha256', key)
    .update([purpose, signed.approvalId, signed.recipient, signed.expiresAt].join('\n'))
    .digest();
}

/** HMAC-SHA256 over purpose, approval id, recipient and expiry, base64url. */
export async function sign(purpose: SignaturePurpose, signed: Signed): Promise<string> {
  return mac(await signingKey(), purpose, signed).toString('base64url');
}

/**
 * The recipient a signature was made for, among an approval's recipients; undefined when it
 * matches none. Every recipient is compared, in constant time, so timing tells nothing.
 */
export async function signerOf(
  purpose: SignaturePurpose,
  approval: {
    readonly approvalId: string;
    readonly recipients: readonly string[];
    readonly expiresAt: string;
  },
  signature: string | undefined,
): Promise<string | undefined> {
  if (!signature || !/^[A-Za-z0-9_-]{43}$/.test(signature)) return undefined;
  const given = Buffer.from(signature, 'base64url');
  // One text per signature: the last character's two unused bits must be zero, as sign() writes them.
  if (given.toString('base64url') !== signature) return undefined;
  const key = await signingKey();
  let signer: string | undefined;
  for (const recipient of approval.recipients) {
    const expected = mac(key, purpose, {
      approvalId: approval.approvalId,
      recipient,
      expiresAt: approval.expiresAt,
    });
    if (timingSafeEqual(expected, given) && signer === undefined) signer = recipient;
  }
  return signer;
}
