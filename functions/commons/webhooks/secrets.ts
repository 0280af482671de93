import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { signingKey } from '../approvals/signing.ts';

/** A webhook secret as stored: AES-256-GCM, base64url parts. */
export interface SealedSecret {
  readonly iv: string;
  readonly data: string;
  readonly tag: string;
}

/**
 * The key that seals webhook secrets at rest: derived (HKDF-SHA256) from Vigil's signing secret
 * (Secrets Manager in AWS), so the table (itself encrypted with the data key) never holds a
 * usable secret: reading an item, a backup or an export gives nothing to sign with.
 */
async function sealingKey(): Promise<Buffer> {
  return Buffer.from(hkdfSync('sha256', await signingKey(), Buffer.alloc(0), 'vigil webhook secrets v1', 32));
}

/** Seals a webhook's secret, bound to the webhook (its id is the authenticated data). */
export async function sealSecret(webhookId: string, secret: string): Promise<SealedSecret> {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', await sealingKey(), iv);
  cipher.setAAD(Buffer.from(webhookId, 'utf8'));
  const data = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return {
    iv: iv.toString('base64url'),
    data: data.toString('base64url'),
    tag: cipher.getAuthTag().toString('base64url'),
  };
}

/** The secret of a webhook; throws when the sealed value was changed or sealed for another webhook. */
export async function openSecret(webhookId: string, sealed: SealedSecret): Promise<string> {
  const decipher = createDecipheriv('aes-256-gcm', await sealingKey(), Buffer.from(sealed.iv, 'base64url'));
  decipher.setAAD(Buffer.from(webhookId, 'utf8'));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64url')), decipher.final()]).toString(
    'utf8',
  );
}
