import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const approval = {
  approvalId: 'apr_0123456789abcdef0123456789abcdef',
  recipients: ['ana@example.com', 'bo@example.com'],
  expiresAt: '2026-02-01T00:00:00.000Z',
};

async function signing(env: Record<string, string>) {
  vi.resetModules();
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  return import('../../../functions/commons/approvals/signing.ts');
}

describe('approval link signatures', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('finds the recipient a signature was made for, and only for that purpose, approval and expiry', async () => {
    // Prepare
    const { sign, signerOf } = await signing({ VIGIL_SIGNING_SECRET: 'local-secret' });
    const link = await sign('link', { ...approval, recipient: 'bo@example.com' });

    // Act / Assess
    expect(link).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await signerOf('link', approval, link)).toBe('bo@example.com');
    expect(await signerOf('form', approval, link)).toBeUndefined();
    expect(
      await signerOf('link', { ...approval, approvalId: 'apr_ffffffffffffffffffffffffffffffff' }, link),
    ).toBeUndefined();
    expect(
      await signerOf('link', { ...approval, expiresAt: '2026-03-01T00:00:00.000Z' }, link),
    ).toBeUndefined();
    expect(await signerOf('link', { ...approval, recipients: ['ana@example.com'] }, link)).toBeUndefined();
  });

  it('refuses a tampered, truncated or missing signature', async () => {
    // Prepare
    const { sign, signerOf } = await signing({ VIGIL_SIGNING_SECRET: 'local-secret' });
    const link = await sign('link', { ...approval, recipient: 'ana@example.com' });
    const tampered = `${link.slice(0, 20)}${link[20] === 'x' ? 'y' : 'x'}${link.slice(21)}`;

    // Act / Assess
    expect(await signerOf('link', approval, tampered)).toBeUndefined();
    expect(await signerOf('link', approval, link.slice(0, 42))).toBeUndefined();
    expect(await signerOf('link', approval, undefined)).toBeUndefined();
    expect(await signerOf('link', approval, `${link}=`)).toBeUndefined();
  });

  it('takes a signature in its one encoding: the unused low bits of the last character changed are refused', async () => {
    // Prepare
    const { sign, signerOf } = await signing({ VIGIL_SIGNING_SECRET: 'local-secret' });
    const link = await sign('link', { ...approval, recipient: 'ana@example.com' });
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(link.at(-1) as string);
    // 43 characters carry 258 bits: the last one's two lowest bits are not part of the 32 bytes.
    const aliases = [1, 2, 3].map((bits) => `${link.slice(0, 42)}${alphabet[last ^ bits]}`);

    // Act / Assess
    expect(Buffer.from(aliases[0] as string, 'base64url')).toEqual(Buffer.from(link, 'base64url'));
    for (const alias of aliases) expect(await signerOf('link', approval, alias)).toBeUndefined();
    expect(await signerOf('link', approval, link)).toBe('ana@example.com');
  });

  it('depends on the secret: another key signs differently', async () => {
    const one = await (await signing({ VIGIL_SIGNING_SECRET: 'one' })).sign('link', {
      ...approval,
      recipient: 'ana@example.com',
    });
    const two = await (await signing({ VIGIL_SIGNING_SECRET: 'two' })).sign('link', {
      ...approval,
      recipient: 'ana@example.com',
    });
    expect(one).not.toBe(two);
  });

  describe('in AWS', () => {
    const secrets = mockClient(SecretsManagerClient);
    beforeEach(() => {
      secrets.reset();
    });

    it('reads the key from Secrets Manager once and keeps it', async () => {
      // Prepare
      secrets.on(GetSecretValueCommand).resolves({ SecretString: 'local-secret' });
      const local = await (await signing({ VIGIL_SIGNING_SECRET: 'local-secret' })).sign('form', {
        ...approval,
        recipient: 'ana@example.com',
      });
      vi.unstubAllEnvs();
      const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:signing';
      const { sign } = await signing({ SIGNING_SECRET_ARN: arn, AWS_REGION: 'eu-west-1' });

      // Act
      const first = await sign('form', { ...approval, recipient: 'ana@example.com' });
      await sign('link', { ...approval, recipient: 'bo@example.com' });

      // Assess
      expect(first).toBe(local);
      expect(secrets).toReceiveCommandTimes(GetSecretValueCommand, 1);
      expect(secrets).toReceiveCommandWith(GetSecretValueCommand, { SecretId: arn });
    });
  });

  it('refuses to load without a signing secret', async () => {
    vi.stubEnv('VIGIL_SIGNING_SECRET', '');
    vi.stubEnv('SIGNING_SECRET_ARN', '');
    vi.resetModules();
    await expect(import('../../../functions/commons/approvals/signing.ts')).rejects.toThrow(
      'Missing required environment variable SIGNING_SECRET_ARN or VIGIL_SIGNING_SECRET',
    );
  });
});
