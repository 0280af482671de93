import { createHash, createPublicKey, verify } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * An auditor's check of an evidence bundle written from docs/evidence.md alone: it imports
 * nothing of Vigil, only the `canonicalize` package (RFC 8785) and node:crypto. Returns the
 * problems found, none when the bundle holds.
 */
export function independentCheck(
  // biome-ignore lint/suspicious/noExplicitAny: an auditor's script reads plain JSON
  bundle: any,
  jwks: { keys: { kid: string; kty: string; crv: string; x: string; y: string }[] },
): string[] {
  const problems: string[] = [];
  let previous = '0'.repeat(64);
  bundle.events.forEach((event: { hash: string; seq: number; prevHash: string }, index: number) => {
    const { hash, ...rest } = event;
    const computed = createHash('sha256')
      .update(canonicalize(rest) as string, 'utf8')
      .digest('hex');
    if (event.seq !== index + 1) problems.push(`event ${index}: seq ${event.seq}`);
    if (event.prevHash !== previous) problems.push(`seq ${event.seq}: prevHash`);
    if (computed !== hash) problems.push(`seq ${event.seq}: hash`);
    previous = hash;
  });
  if (bundle.head !== previous) problems.push('head');
  const [header64, payload64, signature64] = String(bundle.signature).split('.') as [string, string, string];
  const header = JSON.parse(Buffer.from(header64, 'base64url').toString('utf8'));
  const payload = JSON.parse(Buffer.from(payload64, 'base64url').toString('utf8'));
  const jwk = jwks.keys.find((key) => key.kid === header.kid);
  if (header.alg !== 'ES256' || !jwk) return [...problems, 'signature: alg or kid'];
  const key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, format: 'jwk' });
  const valid = verify(
    'sha256',
    Buffer.from(`${header64}.${payload64}`, 'ascii'),
    { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature64, 'base64url'),
  );
  if (!valid) problems.push('signature');
  if (payload.incidentId !== bundle.incident.incidentId) problems.push('signature: incidentId');
  if (payload.head !== bundle.head || payload.seq !== bundle.events.length) problems.push('signature: head');
  // The kid is the RFC 7638 thumbprint of the key.
  const thumbprint = createHash('sha256')
    .update(`{"crv":"${jwk.crv}","kty":"${jwk.kty}","x":"${jwk.x}","y":"${jwk.y}"}`)
    .digest('base64url');
  if (thumbprint !== jwk.kid) problems.push('kid is not the key thumbprint');
  return problems;
}
