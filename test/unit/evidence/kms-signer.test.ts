import { generateKeyPairSync, sign } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  derToJose,
  publicJwk,
  signingInput,
  verifyHeadSignature,
} from '../../../functions/commons/evidence/jws.ts';
import { KmsEvidenceSigner } from '../../../functions/commons/evidence/signer/kms.ts';

const kms = mockClient(KMSClient);
const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/current';
const retiredArn = 'arn:aws:kms:eu-west-1:123456789012:key/retired';

/** A P-256 key pair standing in for a KMS key: GetPublicKey answers its SPKI, Sign signs in DER as KMS does. */
function fakeKmsKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKey,
    publicKey,
    spki: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
  };
}

describe('KMS evidence signer', () => {
  const current = fakeKmsKey();
  const retired = fakeKmsKey();

  beforeEach(() => {
    kms.reset();
    kms.on(GetPublicKeyCommand, { KeyId: keyArn }).resolves({
      KeyId: keyArn,
      PublicKey: current.spki,
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
    });
    kms.on(GetPublicKeyCommand, { KeyId: retiredArn }).resolves({
      KeyId: retiredArn,
      PublicKey: retired.spki,
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
    });
    kms.on(SignCommand).callsFake((input: { Message: Uint8Array }) => ({
      KeyId: keyArn,
      SigningAlgorithm: 'ECDSA_SHA_256',
      Signature: new Uint8Array(
        sign('sha256', input.Message, { key: current.privateKey, dsaEncoding: 'der' }),
      ),
    }));
  });

  it('signs the raw JWS input with ECDSA_SHA_256 and turns the DER signature into a verifiable ES256 JWS', async () => {
    // Prepare
    const signer = new KmsEvidenceSigner(keyArn, [retiredArn], new KMSClient({}));
    const payload = {
      incidentId: 'inc_1',
      head: 'a'.repeat(64),
      seq: 3,
      signedAt: '2026-01-01T00:00:00.000Z',
    };

    // Act
    const kid = await signer.keyId();
    const input = signingInput(kid, payload);
    const signature = await signer.sign(Buffer.from(input));
    const keys = await signer.publicKeys();
    const check = verifyHeadSignature(`${input}.${Buffer.from(signature).toString('base64url')}`, { keys });

    // Assess
    expect(kms).toReceiveCommandWith(SignCommand, {
      KeyId: keyArn,
      MessageType: 'RAW',
      SigningAlgorithm: 'ECDSA_SHA_256',
      Message: Buffer.from(input),
    });
    expect(signature).toHaveLength(64);
    expect(check).toEqual({ ok: true, kid, payload });
    expect(kid).toBe(publicJwk(current.publicKey).kid);
    expect(keys.map((k) => k.kid)).toEqual([kid, publicJwk(retired.publicKey).kid]);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
  });

  it('asks KMS for each public key once per container', async () => {
    const signer = new KmsEvidenceSigner(keyArn, [retiredArn], new KMSClient({}));

    await signer.keyId();
    await signer.publicKeys();
    await signer.keyId();

    expect(kms).toReceiveCommandTimes(GetPublicKeyCommand, 2);
  });

  it('refuses a key that is not an ECC_NIST_P256 signing key, and asks again next time', async () => {
    kms
      .on(GetPublicKeyCommand, { KeyId: keyArn })
      .resolvesOnce({ KeyId: keyArn, PublicKey: current.spki, KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' })
      .resolves({
        KeyId: keyArn,
        PublicKey: current.spki,
        KeySpec: 'ECC_NIST_P256',
        KeyUsage: 'SIGN_VERIFY',
      });
    const signer = new KmsEvidenceSigner(keyArn, [], new KMSClient({}));

    await expect(signer.keyId()).rejects.toThrow(/not an ECC_NIST_P256 SIGN_VERIFY key/);
    await expect(signer.keyId()).resolves.toBe(publicJwk(current.publicKey).kid);
  });
});

describe('DER to JOSE signatures', () => {
  it('pads short integers and drops the sign byte of long ones', () => {
    // r = 0x01 (one byte), s = 0x80 followed by 31 bytes of 0x11 (33 bytes in DER with its 0x00)
    const s = Buffer.concat([Buffer.from([0x80]), Buffer.alloc(31, 0x11)]);
    const der = Buffer.concat([Buffer.from([0x30, 3 + 35, 0x02, 0x01, 0x01, 0x02, 0x21, 0x00]), s]);

    const jose = derToJose(der);

    expect(jose.subarray(0, 32)).toEqual(Buffer.concat([Buffer.alloc(31), Buffer.from([1])]));
    expect(jose.subarray(32)).toEqual(s);
  });

  it('converts real signatures that then verify as ieee-p1363', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (let i = 0; i < 50; i++) {
      const message = Buffer.from(`message ${i}`);
      const der = sign('sha256', message, { key: privateKey, dsaEncoding: 'der' });
      const input = signingInput(publicJwk(publicKey).kid, {
        incidentId: `inc_${i}`,
        head: '0',
        seq: i,
        signedAt: '',
      });
      const jws = `${input}.${derToJose(sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'der' })).toString('base64url')}`;
      expect(derToJose(der)).toHaveLength(64);
      expect(verifyHeadSignature(jws, { keys: [publicJwk(publicKey)] }).ok).toBe(true);
    }
  });

  it('refuses what is not a DER signature', () => {
    expect(() => derToJose(Buffer.from([0x31, 0x00]))).toThrow(/Not a DER ECDSA signature/);
    expect(() => derToJose(Buffer.from([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01]))).toThrow();
  });
});
