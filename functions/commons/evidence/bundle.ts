import { HttpError } from '#commons/http';
import { getIncident, loadIncident } from '#commons/incidents/store';
import type { ChainEvent } from './chain.ts';
import { base64url, type HeadPayload, type JwkSet, signingInput } from './jws.ts';
import { evidenceKeys } from './keys.ts';
import { EVIDENCE_PAGE_BYTES, EVIDENCE_PAGE_EVENTS } from './schema.ts';
import { evidenceSigner } from './signer/index.ts';
import { headEvent, keepSignedHead, listEventPage, type SignedHead, signedHeadAt } from './store.ts';
import type { EvidenceBundle } from './verify.ts';

/**
 * Signs the head of an incident's chain (ES256, `kid` in the header) over
 * `{incidentId, head, seq, signedAt}` and keeps the signature. A head signed before keeps its
 * first signature: signing again (a retried step, a second request) changes nothing.
 */
export async function signHead(incidentId: string, head: ChainEvent): Promise<SignedHead> {
  const kept = await signedHeadAt(incidentId, head.seq);
  if (kept) return kept;
  const signer = evidenceSigner();
  const payload: HeadPayload = {
    incidentId,
    head: head.hash,
    seq: head.seq,
    signedAt: new Date().toISOString(),
  };
  const input = signingInput(await signer.keyId(), payload);
  const signature = await signer.sign(Buffer.from(input, 'ascii'));
  return keepSignedHead(incidentId, {
    seq: head.seq,
    head: head.hash,
    signedAt: payload.signedAt,
    jws: `${input}.${base64url(signature)}`,
  });
}

/** Signs the current head of an incident's chain: the workflow's last step, once the incident is closed. */
export async function signClosedIncident(
  incidentId: string,
): Promise<{ seq: number; head: string } | undefined> {
  const incident = await getIncident(incidentId);
  if (!incident) throw new Error(`Incident ${incidentId} does not exist`);
  const head = await headEvent(incidentId);
  if (!head) return undefined;
  const signed = await signHead(incidentId, head);
  return { seq: signed.seq, head: signed.head };
}

/**
 * The evidence bundle of an incident: the events of its chain from `fromSeq` (1 by default)
 * while they fit in a page ({@link EVIDENCE_PAGE_BYTES}, {@link EVIDENCE_PAGE_EVENTS}), the
 * hash of the last of them, and its signature (made now when it has none yet: an open
 * incident's head, on request, or a page's last event). A chain that fits in one page comes
 * whole, as its head and the head's signature; a longer one in pages, each verifiable alone
 * (its first event links to the previous page's last, its last is signed) and all of them
 * together as the whole chain (`vigil evidence export` joins them).
 */
export async function evidenceBundle(
  incidentId: string,
  options: { readonly fromSeq?: number; readonly maxBytes?: number; readonly limit?: number } = {},
): Promise<EvidenceBundle> {
  const fromSeq = options.fromSeq ?? 1;
  const incident = await loadIncident(incidentId);
  const head = await headEvent(incidentId);
  if (!head) {
    // Recorded before incidents kept hash chains.
    throw new HttpError(404, 'not_found', `Incident ${incidentId} has no governance events to sign`, [
      { path: 'incidentId', message: 'no hash chain was recorded for this incident' },
    ]);
  }
  if (fromSeq > head.seq) {
    throw new HttpError(
      400,
      'invalid_request',
      `The chain of incident ${incidentId} has ${head.seq} events`,
      [{ path: 'query.fromSeq', message: `must be at most ${head.seq}, the seq of the chain's last event` }],
    );
  }
  const { events } = await listEventPage(incidentId, {
    limit: options.limit ?? EVIDENCE_PAGE_EVENTS,
    maxBytes: options.maxBytes ?? EVIDENCE_PAGE_BYTES,
    ...(fromSeq > 1 ? { after: evidenceKeys.event(incidentId, fromSeq - 1) } : {}),
  });
  // The page holds one event at least: the chain has no gaps and reaches head.seq ≥ fromSeq.
  const last = events.at(-1) as ChainEvent;
  const signed = await signHead(incidentId, last);
  return {
    incident: { ...incident },
    ...(fromSeq > 1 ? { fromSeq } : {}),
    events,
    head: last.hash,
    signature: signed.jws,
    ...(last.seq < head.seq ? { nextFromSeq: last.seq + 1 } : {}),
  };
}

/** The public keys that verify signed heads, as a JWK Set: the current key first, then retired ones. */
export async function evidenceJwks(): Promise<JwkSet> {
  return { keys: await evidenceSigner().publicKeys() };
}
