import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { derToJose, jwkFromSpki, type PublicJwk } from '../jws.ts';
import type { EvidenceSigner } from './port.ts';

/**
 * Signs with an asymmetric KMS key (`ECC_NIST_P256`, `SIGN_VERIFY`): `Sign` with
 * `ECDSA_SHA_256` over the raw message (KMS hashes it), the DER signature converted to `r || s`.
 * Public keys come from `GetPublicKey`, once per key and container: a key's public half never
 * changes. Retired keys (after a rotation) are published, never used to sign.
 */
export class KmsEvidenceSigner implements EvidenceSigner {
  private readonly jwks = new Map<string, Promise<PublicJwk>>();

  constructor(
    private readonly currentKeyId: string,
    private readonly retiredKeyIds: readonly string[] = [],
    private readonly client: KMSClient = new KMSClient({}),
  ) {}

  async keyId(): Promise<string> {
    return (await this.publicKey(this.currentKeyId)).kid;
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    if (message.length > 4096) throw new Error('KMS signs raw messages of at most 4096 bytes');
    const { Signature, SigningAlgorithm } = await this.client.send(
      new SignCommand({
        KeyId: this.currentKeyId,
        Message: message,
        MessageType: 'RAW',
        SigningAlgorithm: 'ECDSA_SHA_256',
      }),
    );
    if (!Signature || SigningAlgorithm !== 'ECDSA_SHA_256') {
      throw new Error(`KMS returned no ECDSA_SHA_256 signature for ${this.currentKeyId}`);
    }
    return derToJose(Signature);
  }

  async publicKeys(): Promise<PublicJwk[]> {
    return Promise.all([this.currentKeyId, ...this.retiredKeyIds].map((id) => this.publicKey(id)));
  }

  private publicKey(keyId: string): Promise<PublicJwk> {
    let cached = this.jwks.get(keyId);
    if (!cached) {
      cached = this.fetchPublicKey(keyId);
      this.jwks.set(keyId, cached);
      cached.catch(() => this.jwks.delete(keyId));
    }
    return cached;
  }

  private async fetchPublicKey(keyId: string): Promise<PublicJwk> {
    const { PublicKey, KeySpec, KeyUsage } = await this.client.send(
      new GetPublicKeyCommand({ KeyId: keyId }),
    );
    if (!PublicKey || KeySpec !== 'ECC_NIST_P256' || KeyUsage !== 'SIGN_VERIFY') {
      throw new Error(`KMS key ${keyId} is not an ECC_NIST_P256 SIGN_VERIFY key`);
    }
    return jwkFromSpki(PublicKey);
  }
}
