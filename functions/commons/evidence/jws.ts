import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';

/**
 * ES256 compact JWS (RFC 7515) and JWK (RFC 7517) helpers over node:crypto: the signed head of an
 * incident's chain is `base64url(header).base64url(payload).base64url(r||s)`.
 */

/** An EC P-256 public key as a JWK, with its RFC 7638 thumbprint as `kid`. */
export interface PublicJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
  readonly kid: string;
  readonly alg: 'ES256';
  readonly use: 'sig';
}

export interface JwkSet {
  readonly keys: readonly PublicJwk[];
}

/** What the signature of a head says. */
export interface HeadPayload {
  readonly incidentId: string;
  readonly head: string;
  readonly seq: number;
  readonly signedAt: string;
}

export function base64url(data: Uint8Array | string): string {
  return Buffer.from(data).toString('base64url');
}

/** The JWK of a P-256 public key; its `kid` is the RFC 7638 thumbprint (base64url SHA-256). */
export function publicJwk(key: KeyObject): PublicJwk {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y) {
    throw new Error('The evidence signing key must be an EC P-256 key');
  }
  // RFC 7638: the required members in lexicographic order, no whitespace.
  const thumbprint = createHash('sha256')
    .update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }))
    .digest('base64url');
  return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, kid: thumbprint, alg: 'ES256', use: 'sig' };
}

/** The JWK of a DER SubjectPublicKeyInfo (what KMS GetPublicKey returns). */
export function jwkFromSpki(der: Uint8Array): PublicJwk {
  return publicJwk(createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' }));
}

/** The JWS signing input: protected header and payload, each base64url JSON. */
export function signingInput(kid: string, payload: HeadPayload): string {
  return `${base64url(JSON.stringify({ alg: 'ES256', kid }))}.${base64url(JSON.stringify(payload))}`;
}

/**
 * An ASN.1 DER ECDSA signature (`SEQUENCE { INTEGER r, INTEGER s }`, what KMS returns) as the
 * fixed-length `r || s` that JWS ES256 uses (RFC 7518 section 3.4).
 */
export function derToJose(der: Uint8Array, size = 32): Buffer {
  const bytes = Buffer.from(der);
  let offset = 0;
  const fail = (): never => {
    throw new Error('Not a DER ECDSA signature');
  };
  const length = (): number => {
    const first = bytes[offset++] ?? fail();
    if (first < 0x80) return first;
    const count = first & 0x7f;
    if (count < 1 || count > 2) fail();
    let value = 0;
    for (let i = 0; i < count; i++) value = (value << 8) | (bytes[offset++] ?? fail());
    return value;
  };
  const integer = (): Buffer => {
    if (bytes[offset++] !== 0x02) fail();
    const len = length();
    const value = bytes.subarray(offset, offset + len);
    if (value.length !== len || len === 0) fail();
    offset += len;
    let start = 0;
    while (start < value.length - 1 && value[start] === 0) start++;
    const trimmed = value.subarray(start);
    if (trimmed.length > size) fail();
    return Buffer.concat([Buffer.alloc(size - trimmed.length), trimmed]);
  };
  if (bytes[offset++] !== 0x30) fail();
  const total = length();
  if (total !== bytes.length - offset) fail();
  const r = integer();
  const s = integer();
  if (offset !== bytes.length) fail();
  return Buffer.concat([r, s]);
}

export type JwsCheck =
  | { readonly ok: true; readonly kid: string; readonly payload: HeadPayload }
  | { readonly ok: false; readonly reason: string };

function decodeJson(part: string): unknown {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

/** Verifies a compact ES256 JWS against a JWK Set: the header's `kid` picks the key. */
export function verifyHeadSignature(jws: unknown, jwks: JwkSet): JwsCheck {
  if (typeof jws !== 'string') return { ok: false, reason: 'there is no signature' };
  const parts = jws.split('.');
  if (parts.length !== 3 || parts.some((part) => !/^[A-Za-z0-9_-]*$/.test(part))) {
    return { ok: false, reason: 'the signature is not a compact JWS' };
  }
  const [header64, payload64, signature64] = parts as [string, string, string];
  let header: { alg?: unknown; kid?: unknown };
  let payload: HeadPayload;
  try {
    header = decodeJson(header64) as typeof header;
    payload = decodeJson(payload64) as HeadPayload;
  } catch {
    return { ok: false, reason: "the signature's header or payload is not JSON" };
  }
  if (header.alg !== 'ES256')
    return { ok: false, reason: `the signature's alg is ${String(header.alg)}, not ES256` };
  const jwk = jwks.keys.find((key) => key.kid === header.kid);
  if (!jwk) return { ok: false, reason: `no public key has the signature's kid ${String(header.kid)}` };
  const valid = verify(
    'sha256',
    Buffer.from(`${header64}.${payload64}`),
    {
      key: createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, format: 'jwk' }),
      dsaEncoding: 'ieee-p1363',
    },
    Buffer.from(signature64, 'base64url'),
  );
  if (!valid) return { ok: false, reason: `the signature does not verify with key ${jwk.kid}` };
  return { ok: true, kid: jwk.kid, payload };
}
