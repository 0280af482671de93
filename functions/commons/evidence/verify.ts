import { type ChainEvent, checkChain } from './chain.ts';
import { type JwkSet, verifyHeadSignature } from './jws.ts';

/**
 * An evidence bundle: the incident as Vigil holds it (informational, not covered by the
 * signature), the governance events of its chain, the hash of the last of them (`head`) and the
 * compact JWS over `{incidentId, head, seq, signedAt}`. A chain too long for one response comes
 * in pages (`bundle-page.ts`): each page's last event is signed, a page after the first says
 * where it starts (`fromSeq`), and one that is not the last says where the next starts.
 */
export interface EvidenceBundle {
  readonly incident: { readonly incidentId: string } & Record<string, unknown>;
  /** The seq of the first event, when the bundle is a page that starts after seq 1. */
  readonly fromSeq?: number;
  readonly events: readonly ChainEvent[];
  readonly head: string;
  readonly signature: string;
  /** The seq the next page starts at, when the chain goes on past this page (`?fromSeq=`). */
  readonly nextFromSeq?: number;
}

export type BundleCheck =
  | {
      readonly ok: true;
      readonly incidentId: string;
      /** The first event verified: 1 for a whole chain, more for a page that starts later. */
      readonly fromSeq: number;
      readonly seq: number;
      readonly head: string;
      readonly kid: string;
      readonly signedAt: string;
    }
  /** `seq` names the first event at fault; without it, the signature is. */
  | { readonly ok: false; readonly seq?: number; readonly message: string };

/**
 * Checks a bundle with no database: every event's hash, the links from the first to the head,
 * then the signature against the JWK Set and what it signs (this incident, this head, this
 * many events). The first failure is reported: an event by its `seq`, or the signature. A page
 * that starts later (`fromSeq`) is checked from its first event, which links to the hash of the
 * event before it: the result says where the verified events start.
 */
export function verifyBundle(bundle: unknown, jwks: JwkSet): BundleCheck {
  if (typeof bundle !== 'object' || bundle === null)
    return { ok: false, message: 'the bundle is not a JSON object' };
  const { incident, events, head, signature } = bundle as Partial<Record<keyof EvidenceBundle, unknown>>;
  const incidentId = (incident as { incidentId?: unknown } | undefined)?.incidentId;
  if (typeof incidentId !== 'string')
    return { ok: false, message: 'the bundle names no incident (incident.incidentId)' };
  if (!Array.isArray(events)) return { ok: false, message: 'the bundle has no events array' };
  const start = partStart(bundle as { fromSeq?: unknown }, events);
  if (typeof start === 'string') return { ok: false, message: start };
  if (start && events.length === 0)
    return { ok: false, seq: start.seq, message: `event seq ${start.seq}: missing; the bundle starts there` };
  const chain = checkChain(events, start);
  if (!chain.ok) return { ok: false, seq: chain.seq, message: `event seq ${chain.seq}: ${chain.reason}` };
  if (head !== chain.head) {
    const missing = chain.seq + 1;
    return {
      ok: false,
      seq: missing,
      message: `event seq ${missing}: missing; the bundle's head is not the hash of its last event (seq ${chain.seq})`,
    };
  }
  const signed = verifyHeadSignature(signature, jwks);
  if (!signed.ok) return { ok: false, message: `signature: ${signed.reason}` };
  const { payload } = signed;
  if (payload.incidentId !== incidentId) {
    return {
      ok: false,
      message: `signature: it signs incident ${String(payload.incidentId)}, not ${incidentId}`,
    };
  }
  if (typeof payload.seq === 'number' && payload.seq > chain.seq) {
    const missing = chain.seq + 1;
    return {
      ok: false,
      seq: missing,
      message: `event seq ${missing}: missing; the signature covers ${payload.seq} events, the bundle has ${chain.seq}`,
    };
  }
  if (payload.seq !== chain.seq || payload.head !== chain.head) {
    return {
      ok: false,
      message: `signature: it signs head ${String(payload.head)} at seq ${String(payload.seq)}, the chain's head is ${chain.head} at seq ${chain.seq}`,
    };
  }
  return {
    ok: true,
    incidentId,
    fromSeq: start?.seq ?? 1,
    seq: chain.seq,
    head: chain.head,
    kid: signed.kid,
    signedAt: payload.signedAt,
  };
}

/**
 * Where a page that starts after seq 1 starts (`fromSeq`, an integer above 1) and the hash its
 * first event links to; undefined for a whole chain; why not, when `fromSeq` says nothing usable.
 */
function partStart(
  bundle: { fromSeq?: unknown },
  events: readonly unknown[],
): { seq: number; prevHash: string } | undefined | string {
  const { fromSeq } = bundle;
  if (fromSeq === undefined || fromSeq === 1) return undefined;
  if (typeof fromSeq !== 'number' || !Number.isInteger(fromSeq) || fromSeq < 1)
    return "the bundle's fromSeq is not a positive integer";
  // A first event without a usable prevHash fails its link in checkChain, named by its seq.
  const prevHash = (events[0] as { prevHash?: unknown } | undefined)?.prevHash;
  return { seq: fromSeq, prevHash: typeof prevHash === 'string' ? prevHash : '' };
}
