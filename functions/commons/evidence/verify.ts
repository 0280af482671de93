import { type ChainEvent, checkChain } from './chain.ts';
import { type JwkSet, verifyHeadSignature } from './jws.ts';

/**
 * An evidence bundle: the incident as Vigil holds it (informational, not covered by the
 * signature), every governance event of its chain, the chain's head and the compact JWS over
 * `{incidentId, head, seq, signedAt}`.
 */
export interface EvidenceBundle {
  readonly incident: { readonly incidentId: string } & Record<string, unknown>;
  readonly events: readonly ChainEvent[];
  readonly head: string;
  readonly signature: string;
}

export type BundleCheck =
  | {
      readonly ok: true;
      readonly incidentId: string;
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
 * many events). The first failure is reported: an event by its `seq`, or the signature.
 */
export function verifyBundle(bundle: unknown, jwks: JwkSet): BundleCheck {
  if (typeof bundle !== 'object' || bundle === null)
    return { ok: false, message: 'the bundle is not a JSON object' };
  const { incident, events, head, signature } = bundle as Partial<Record<keyof EvidenceBundle, unknown>>;
  const incidentId = (incident as { incidentId?: unknown } | undefined)?.incidentId;
  if (typeof incidentId !== 'string')
    return { ok: false, message: 'the bundle names no incident (incident.incidentId)' };
  if (!Array.isArray(events)) return { ok: false, message: 'the bundle has no events array' };
  const chain = checkChain(events);
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
    seq: chain.seq,
    head: chain.head,
    kid: signed.kid,
    signedAt: payload.signedAt,
  };
}
