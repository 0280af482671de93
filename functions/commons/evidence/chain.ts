import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * The hash chain of an incident's governance events. Each event is
 * `{seq, type, at, actor, data, prevHash, hash}`: `seq` counts from 1 without gaps, `prevHash` is
 * the previous event's `hash` (`GENESIS` for the first), and `hash` is the lowercase hex SHA-256
 * of the RFC 8785 (JCS) canonical JSON of the event without its `hash` member. Pure functions:
 * the store, the bundle, the CLI and the HTML page share them.
 */

export const GENESIS = '0'.repeat(64);

export interface ChainEvent {
  readonly seq: number;
  readonly type: string;
  readonly at: string;
  /** Who: a recipient's address, `admin`, `model:{keyId}`, `evaluation` or `workflow`. */
  readonly actor: string;
  readonly data: Record<string, unknown>;
  readonly prevHash: string;
  readonly hash: string;
}

export type UnhashedEvent = Omit<ChainEvent, 'hash'>;

/** RFC 8785 canonical JSON. Refuses what JSON cannot hold (NaN, infinities, lone surrogates). */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('Nothing to canonicalise');
  return text;
}

/** Lowercase hex SHA-256 of the canonical JSON of the event without `hash`. */
export function hashEvent(event: UnhashedEvent): string {
  const { hash: _ignored, ...body } = event as UnhashedEvent & { hash?: unknown };
  return createHash('sha256').update(canonicalJson(body), 'utf8').digest('hex');
}

/**
 * `value` as JSON gives it back: undefined members dropped, dates as strings. What is hashed is
 * exactly what is stored and served.
 */
export function jsonValue<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Builds the next event of a chain whose head is `previous` (none for the first). */
export function nextEvent(
  previous: { readonly seq: number; readonly hash: string } | undefined,
  event: { readonly type: string; readonly at: string; readonly actor: string; readonly data: object },
): ChainEvent {
  const body: UnhashedEvent = {
    seq: (previous?.seq ?? 0) + 1,
    type: event.type,
    at: event.at,
    actor: event.actor,
    data: jsonValue(event.data) as Record<string, unknown>,
    prevHash: previous?.hash ?? GENESIS,
  };
  return { ...body, hash: hashEvent(body) };
}

export type ChainCheck =
  | { readonly ok: true; readonly head: string; readonly seq: number }
  | { readonly ok: false; readonly seq: number; readonly reason: string };

const hex64 = /^[0-9a-f]{64}$/;

/**
 * Recomputes every hash and checks the links, in order: the first event that fails is named by
 * its position's `seq` (the seq it should have), with why. A part of a chain starts at `from`:
 * its first event has that `seq` and links to `from.prevHash` (the hash of the event before it,
 * which the part does not hold); the whole chain starts at seq 1 from {@link GENESIS}.
 */
export function checkChain(
  events: readonly unknown[],
  from: { readonly seq: number; readonly prevHash: string } = { seq: 1, prevHash: GENESIS },
): ChainCheck {
  let previous = from.prevHash;
  for (const [index, raw] of events.entries()) {
    const expected = from.seq + index;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      return { ok: false, seq: expected, reason: 'is not an object' };
    }
    const event = raw as Record<string, unknown>;
    if (event.seq !== expected) {
      return {
        ok: false,
        seq: expected,
        reason: `has seq ${JSON.stringify(event.seq)}, expected ${expected}`,
      };
    }
    if (event.prevHash !== previous) {
      return { ok: false, seq: expected, reason: "prevHash is not the previous event's hash" };
    }
    if (typeof event.hash !== 'string' || !hex64.test(event.hash)) {
      return { ok: false, seq: expected, reason: 'hash is not 64 lowercase hex digits' };
    }
    let computed: string;
    try {
      computed = hashEvent(event as unknown as UnhashedEvent);
    } catch (error) {
      return { ok: false, seq: expected, reason: `cannot be canonicalised (${(error as Error).message})` };
    }
    if (computed !== event.hash) {
      return { ok: false, seq: expected, reason: 'hash does not match its content' };
    }
    previous = event.hash;
  }
  return { ok: true, head: previous, seq: from.seq - 1 + events.length };
}
