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

describe('verification of a page of a long chain', () => {
  const chain = events(6);
  /** Events `from` to `to` (seqs, both included), signed at `to`, as a page of the chain. */
  function page(from: number, to: number, incidentId = 'inc_a'): EvidenceBundle {
    const part = chain.slice(from - 1, to);
    return { ...bundle(part, signed(incidentId, part)), ...(from > 1 ? { fromSeq: from } : {}) };
  }

  it('verifies a page from the hash it links to, and says where the verified events start', () => {
    expect(verifyBundle(page(4, 6), jwks)).toMatchObject({
      ok: true,
      fromSeq: 4,
      seq: 6,
      head: chain[5]?.hash,
    });
    expect(verifyBundle(page(2, 3), jwks)).toMatchObject({
      ok: true,
      fromSeq: 2,
      seq: 3,
      head: chain[2]?.hash,
    });
    // The first page is a whole chain up to its last event.
    expect(verifyBundle(page(1, 3), jwks)).toMatchObject({ ok: true, fromSeq: 1, seq: 3 });
    expect(verifyBundle(bundle(chain, signed('inc_a', chain)), jwks)).toMatchObject({ ok: true, fromSeq: 1 });
  });

  it('names the event of a page that was edited, dropped or relinked', () => {
    const edited = structuredClone(page(3, 6)) as unknown as { events: { data: Record<string, unknown> }[] };
    (edited.events[2] as { data: Record<string, unknown> }).data.i = 99;
    expect(verifyBundle(edited, jwks)).toMatchObject({
      ok: false,
      seq: 5,
      message: expect.stringContaining('hash'),
    });

    const dropped = page(3, 6);
    expect(
      verifyBundle({ ...dropped, events: dropped.events.filter((e) => e.seq !== 4) }, jwks),
    ).toMatchObject({
      ok: false,
      seq: 4,
    });

    // A first event relinked to another hash (its own hash recomputed) breaks the link after it.
    const [first, ...rest] = page(3, 6).events as ChainEvent[];
    const relinked = nextEvent({ seq: 2, hash: 'f'.repeat(64) }, { ...(first as ChainEvent) });
    expect(verifyBundle({ ...page(3, 6), events: [relinked, ...rest] }, jwks)).toMatchObject({
      ok: false,
      seq: 4,
    });
  });

  it('checks a bundle that does not say where it starts as a whole chain, and refuses a start it contradicts', () => {
    const { fromSeq: _, ...undeclared } = page(4, 6);
    expect(verifyBundle(undeclared, jwks)).toMatchObject({
      ok: false,
      seq: 1,
      message: expect.stringContaining('has seq 4'),
    });
    expect(verifyBundle({ ...page(4, 6), fromSeq: 3 }, jwks)).toMatchObject({ ok: false, seq: 3 });
    for (const fromSeq of [0, -2, 2.5, '4'])
      expect(verifyBundle({ ...page(4, 6), fromSeq }, jwks)).toMatchObject({
        ok: false,
        message: "the bundle's fromSeq is not a positive integer",
      });
    expect(verifyBundle({ ...page(4, 6), events: [] }, jwks)).toMatchObject({ ok: false, seq: 4 });
  });

  it('refuses a page whose signature covers more events than it holds', () => {
    const part = chain.slice(3, 5);
    const overSigned = { ...bundle(part, signed('inc_a', chain)), fromSeq: 4 };
    expect(verifyBundle({ ...overSigned, head: chain[4]?.hash }, jwks)).toMatchObject({ ok: false, seq: 6 });
  });

  it('verifies the pages joined in order as the whole chain, under the last page’s signature', () => {
    const last = page(5, 6);
    const joined = { incident: last.incident, events: chain, head: last.head, signature: last.signature };
    expect(verifyBundle(joined, jwks)).toMatchObject({ ok: true, fromSeq: 1, seq: 6 });
  });
});
