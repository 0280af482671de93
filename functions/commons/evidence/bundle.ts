import { HttpError } from '#commons/http';
import { getIncident, loadIncident } from '#commons/incidents/store';
import type { ChainEvent } from './chain.ts';
import { base64url, type HeadPayload, type JwkSet, signingInput } from './jws.ts';
import { evidenceSigner } from './signer/index.ts';
import { headEvent, keepSignedHead, listEvents, type SignedHead, signedHeadAt } from './store.ts';
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
 * The evidence bundle of an incident: every event of its chain, its head, and the head's
 * signature (made now when the head has none yet: an open incident's, on request).
 */
export async function evidenceBundle(incidentId: string): Promise<EvidenceBundle> {
  const incident = await loadIncident(incidentId);
  const events = await listEvents(incidentId);
  const head = events.at(-1);
  if (!head) {
    // Recorded before incidents kept hash chains.
    throw new HttpError(404, 'not_found', `Incident ${incidentId} has no governance events to sign`, [
      { path: 'incidentId', message: 'no hash chain was recorded for this incident' },
    ]);
  }
  const signed = await signHead(incidentId, head);
  return { incident: { ...incident }, events, head: head.hash, signature: signed.jws };
}

/** The public keys that verify signed heads, as a JWK Set: the current key first, then retired ones. */
export async function evidenceJwks(): Promise<JwkSet> {
  return { keys: await evidenceSigner().publicKeys() };
}
