import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type ChainEvent, nextEvent } from '../../../functions/commons/evidence/chain.ts';
import { base64url, publicJwk, signingInput } from '../../../functions/commons/evidence/jws.ts';
import { type EvidenceBundle, verifyBundle } from '../../../functions/commons/evidence/verify.ts';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = publicJwk(publicKey);
const jwks = { keys: [jwk] };

function events(count: number, from: ChainEvent[] = []): ChainEvent[] {
  const out = [...from];
  for (let i = 0; i < count; i++) {
    out.push(
      nextEvent(out.at(-1), { type: 'decision', at: '2026-01-01T00:00:00.000Z', actor: 'a', data: { i } }),
    );
  }
  return out;
}

function signed(incidentId: string, chain: ChainEvent[], header = { kid: jwk.kid }): string {
  const head = chain.at(-1) as ChainEvent;
  const input = signingInput(header.kid, { incidentId, head: head.hash, seq: head.seq, signedAt: 'now' });
  return `${input}.${base64url(sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }))}`;
}

function bundle(chain: ChainEvent[], signature: string, incidentId = 'inc_a'): EvidenceBundle {
  return { incident: { incidentId }, events: chain, head: chain.at(-1)?.hash as string, signature };
}

describe('evidence bundle verification', () => {
  const chain = events(3);

  it('accepts a bundle whose chain and signature hold', () => {
    expect(verifyBundle(bundle(chain, signed('inc_a', chain)), jwks)).toMatchObject({
      ok: true,
      seq: 3,
      kid: jwk.kid,
    });
  });

  it('refuses a signature of another incident, another key, or another algorithm', () => {
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const [h, p] = signed('inc_a', chain).split('.');
    const foreign = `${h}.${p}.${base64url(sign('sha256', Buffer.from(`${h}.${p}`), { key: otherKey.privateKey, dsaEncoding: 'ieee-p1363' }))}`;
    const none = `${base64url(JSON.stringify({ alg: 'none', kid: jwk.kid }))}.${p}.`;

    expect(verifyBundle(bundle(chain, signed('inc_b', chain)), jwks)).toMatchObject({
      ok: false,
      message: 'signature: it signs incident inc_b, not inc_a',
    });
    expect(verifyBundle(bundle(chain, foreign), jwks)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^signature: the signature does not verify/),
    });
    expect(verifyBundle(bundle(chain, none), jwks)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^signature: .*alg is none/),
    });
    expect(verifyBundle(bundle(chain, signed('inc_a', chain)), { keys: [] })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^signature: no public key has the signature's kid/),
    });
  });

  it('refuses events added after the signed head, even with good hashes, and names one missing at the end', () => {
    const longer = events(2, chain);
    const shorter = chain.slice(0, 2);

    expect(verifyBundle(bundle(longer, signed('inc_a', chain)), jwks)).toMatchObject({
      ok: false,
      message: expect.stringMatching(
        /^signature: it signs head \w+ at seq 3, the chain's head is \w+ at seq 5/,
      ),
    });
    expect(verifyBundle(bundle(shorter, signed('inc_a', chain)), jwks)).toMatchObject({
      ok: false,
      seq: 3,
      message: 'event seq 3: missing; the signature covers 3 events, the bundle has 2',
    });
    expect(verifyBundle({ events: chain }, jwks)).toMatchObject({ ok: false });
    expect(verifyBundle('not a bundle', jwks)).toMatchObject({ ok: false });
  });
});
