import type { PublicJwk } from '../jws.ts';

/**
 * The port to the key that signs the heads of incidents' chains (ES256: ECDSA on P-256 with
 * SHA-256): a KMS key in AWS, a P-256 key in the data dir on a laptop.
 */
export interface EvidenceSigner {
  /** The `kid` of the key that signs now: the RFC 7638 thumbprint of its public key. */
  keyId(): Promise<string>;
  /** Signs `message` with the current key: the signature as JWS wants it, `r || s` (64 bytes). */
  sign(message: Uint8Array): Promise<Uint8Array>;
  /** Every public key a signature may name: the current one first, then the retired ones. */
  publicKeys(): Promise<PublicJwk[]>;
}
