import type { ChainEvent } from '#commons/evidence/chain';
import { appendEvent, findLatestEvent, listEventPage, listEvents } from '#commons/evidence/store';
import { AUDIT_PAGE_BYTES } from './audit-list.ts';
import type { AuditEvent } from './types.ts';

/** An audit event as recorded: its place in the incident's hash chain too. */
export type RecordedAuditEvent = AuditEvent & { readonly seq: number; readonly hash: string };

function toAudit(event: ChainEvent): RecordedAuditEvent {
  const data = event.data as Pick<AuditEvent, 'step' | 'details' | 'sourceIp' | 'userAgent'>;
  return { seq: event.seq, hash: event.hash, at: event.at, type: event.type, actor: event.actor, ...data };
}

/**
 * Appends an event to an incident's audit trail: the next link of its hash chain
 * (`functions/commons/evidence/`), `{seq, type, at, actor, data: {step, details, sourceIp,
 * userAgent}, prevHash, hash}`. Events are only ever added, never changed or removed.
 */
export async function appendAudit(
  incidentId: string,
  event: Omit<AuditEvent, 'at'> & { at?: string },
): Promise<RecordedAuditEvent> {
  const { at, type, actor, ...data } = event;
  return toAudit(await appendEvent(incidentId, { type, actor, at: at ?? new Date().toISOString(), data }));
}

/** The audit trail of an incident, in chain order. */
export async function listAudit(incidentId: string): Promise<RecordedAuditEvent[]> {
  return (await listEvents(incidentId)).map(toAudit);
}

/**
 * One page of an incident's audit trail, in chain order, bounded by `limit` and
 * {@link AUDIT_PAGE_BYTES} (or `maxBytes`), and the key to resume after it when there may be more.
 */
export async function listAuditPage(
  incidentId: string,
  options: { readonly limit: number; readonly maxBytes?: number; readonly after?: Record<string, string> },
): Promise<{ audit: RecordedAuditEvent[]; nextKey?: Record<string, string> }> {
  const { events, nextKey } = await listEventPage(incidentId, {
    limit: options.limit,
    maxBytes: options.maxBytes ?? AUDIT_PAGE_BYTES,
    ...(options.after ? { after: options.after } : {}),
  });
  return { audit: events.map(toAudit), ...(nextKey ? { nextKey } : {}) };
}

/**
 * What QA's decision reviewed: the seq and hash of the incident's latest re-validation report
 * event, so the peer review signs exactly the results it saw. Empty for other steps.
 */
export async function reviewedEvidence(
  incidentId: string,
  step: string,
): Promise<{ revalidationReport?: { seq: number; hash: string } }> {
  if (step !== 'qa') return {};
  const report = await findLatestEvent(incidentId, 'revalidation.report');
  return report ? { revalidationReport: { seq: report.seq, hash: report.hash } } : {};
}

/** The latest audit event of type `type` that `matches`, read from the chain's end (see `findLatestEvent`). */
export async function findLatestAudit(
  incidentId: string,
  type: AuditEvent['type'],
  matches: (event: RecordedAuditEvent) => boolean,
): Promise<RecordedAuditEvent | undefined> {
  const event = await findLatestEvent(incidentId, type, (chained) => matches(toAudit(chained)));
  return event ? toAudit(event) : undefined;
}
