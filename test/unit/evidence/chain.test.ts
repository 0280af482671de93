import { describe, expect, it } from 'vitest';
import {
  type ChainEvent,
  canonicalJson,
  checkChain,
  GENESIS,
  hashEvent,
  nextEvent,
} from '../../../functions/commons/evidence/chain.ts';

function chain(length: number): ChainEvent[] {
  const events: ChainEvent[] = [];
  for (let i = 0; i < length; i++) {
    events.push(
      nextEvent(events.at(-1), {
        type: 'decision',
        at: `2026-01-01T00:00:0${i}.000Z`,
        actor: 'qa@example.com',
        data: { step: 'qa', details: { comment: `comment ${i}`, score: 0.1 * i, nothing: undefined } },
      }),
    );
  }
  return events;
}

describe('hash chain', () => {
  it('canonicalises as RFC 8785 does: sorted keys, ECMAScript numbers, minimal escapes', () => {
    // RFC 8785 section 3.2.2 and 3.2.3 examples
    const rfcExample = String.raw`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }`;
    expect(canonicalJson(JSON.parse(rfcExample))).toBe(
      String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
    );
    expect(canonicalJson({ '\u20ac': 1, '\r': 2, '1': 3, '\u00f6': 4 })).toBe('{"\\r":2,"1":3,"ö":4,"€":1}');
    expect(() => canonicalJson({ x: Number.NaN })).toThrow();
  });

  it('links each event to the previous one from 64 zeros, and hashes what it stores', () => {
    const events = chain(3);

    expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(events[0]?.prevHash).toBe(GENESIS);
    expect(events[1]?.prevHash).toBe(events[0]?.hash);
    expect(events[0]?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(JSON.stringify(events[0]))).toEqual(events[0]);
    expect(hashEvent(JSON.parse(JSON.stringify(events[2])))).toBe(events[2]?.hash);
    expect(checkChain(events)).toEqual({ ok: true, head: events[2]?.hash, seq: 3 });
  });

  it('names the first event whose content, link or place is wrong', () => {
    const edited = chain(4);
    (edited[1] as { actor: string }).actor = 'mallory@example.com';
    const relinked = chain(4);
    (relinked[2] as { prevHash: string }).prevHash = GENESIS;
    const dropped = chain(4);
    dropped.splice(1, 1);
    const extra = chain(4).map((e, i) => (i === 3 ? { ...e, note: 'added' } : e));

    expect(checkChain(edited)).toMatchObject({
      ok: false,
      seq: 2,
      reason: 'hash does not match its content',
    });
    expect(checkChain(relinked)).toMatchObject({ ok: false, seq: 3 });
    expect(checkChain(dropped)).toMatchObject({ ok: false, seq: 2, reason: 'has seq 3, expected 2' });
    expect(checkChain(extra)).toMatchObject({ ok: false, seq: 4 });
    expect(checkChain([null])).toMatchObject({ ok: false, seq: 1 });
  });
});
