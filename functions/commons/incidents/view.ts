import { encodePageToken } from '#commons/api/page';
import { type ApprovalRecord, listApprovalPage } from '#commons/approvals/store';
import { APPROVALS_PAGE_BYTES, MAX_APPROVALS_PER_PAGE } from './approval-list.ts';
import { listAuditPage } from './audit.ts';
import { AUDIT_PAGE_BYTES, MAX_AUDIT_PER_PAGE } from './audit-list.ts';
import { type IncidentListFields, listIncidentRecords, loadIncident } from './store.ts';
import type { AuditEvent, IncidentRecord } from './types.ts';

export interface IncidentDetail extends IncidentRecord {
  /** The requests for a decision, without task tokens: the first page of them. */
  readonly approvals: readonly ApprovalRecord[];
  /** Present when the approvals go on: `GET /v1/incidents/{id}/approvals?nextToken=` reads the rest. */
  readonly approvalsNextToken?: string;
  readonly audit: readonly AuditEvent[];
  /** Present when the audit trail goes on: `GET /v1/incidents/{id}/audit?nextToken=` reads the rest. */
  readonly auditNextToken?: string;
}

/**
 * An incident with every candidate and re-validation report, its approvals and the first page of
 * its audit trail, as `GET /v1/incidents/{id}` shows it. Incidents written before the candidates and reports had
 * items of their own hold them in lists, which come first.
 */
export async function incidentDetail(incidentId: string): Promise<IncidentDetail> {
  const incident = await loadIncident(incidentId);
  const [approvals, audit, candidates, validationReports] = await Promise.all([
    // The first page of the approvals, a quarter of a page's bytes beside the rest of the detail.
    listApprovalPage(incidentId, { limit: MAX_APPROVALS_PER_PAGE, maxBytes: APPROVALS_PAGE_BYTES / 4 }),
    // The first page of the audit trail, half a page's bytes beside the rest of the detail.
    listAuditPage(incidentId, { limit: MAX_AUDIT_PER_PAGE, maxBytes: AUDIT_PAGE_BYTES / 2 }),
    listIncidentRecords(incidentId, 'candidate'),
    listIncidentRecords(incidentId, 'validation'),
  ]);
  return {
    ...incident,
    candidates: [...(incident.candidates ?? []), ...candidates],
    validationReports: [...(incident.validationReports ?? []), ...validationReports],
    approvals: approvals.approvals,
    ...(approvals.nextKey ? { approvalsNextToken: encodePageToken(approvals.nextKey) as string } : {}),
    audit: audit.audit,
    ...(audit.nextKey ? { auditNextToken: encodePageToken(audit.nextKey) as string } : {}),
  };
}

/** The fields of an incident a listing shows. */
/** A reason as an incident list shows it; the incident keeps it whole. */
export const LIST_REASON_CHARS = 300;

export function incidentListItem(incident: IncidentListFields) {
  return {
    incidentId: incident.incidentId,
    modelId: incident.modelId,
    kind: incident.kind,
    status: incident.status,
    currentStep: incident.currentStep,
    openedAt: incident.openedAt,
    closedAt: incident.closedAt,
    timeToResolutionSeconds: incident.timeToResolutionSeconds,
    retrainingCycles: incident.retrainingCycles,
    reasons: incident.reasons.map((reason) =>
      reason.length > LIST_REASON_CHARS ? `${reason.slice(0, LIST_REASON_CHARS - 1)}…` : reason,
    ),
  };
}
