import { encodePageToken } from '#commons/api/page';
import { type ApprovalRecord, listApprovalPage } from '#commons/approvals/store';
import { APPROVALS_PAGE_BYTES, MAX_APPROVALS_PER_PAGE } from './approval-list.ts';
import { listAuditPage } from './audit.ts';
import { AUDIT_PAGE_BYTES, MAX_AUDIT_PER_PAGE } from './audit-list.ts';
import { MAX_RECORDS_PER_PAGE, RECORDS_PAGE_BYTES } from './record-list.ts';
import { type IncidentListFields, listIncidentRecordPage, loadIncident } from './store.ts';
import type { AuditEvent, Candidate, IncidentRecord, ValidationReport } from './types.ts';

export interface IncidentDetail extends IncidentRecord {
  /** The requests for a decision, without task tokens: the first page of them. */
  readonly approvals: readonly ApprovalRecord[];
  /** Present when the approvals go on: `GET /v1/incidents/{id}/approvals?nextToken=` reads the rest. */
  readonly approvalsNextToken?: string;
  /** Present when the candidates go on: `GET /v1/incidents/{id}/candidates?nextToken=` reads the rest. */
  readonly candidatesNextToken?: string;
  /** Present when the reports go on: `GET /v1/incidents/{id}/validation-reports?nextToken=` reads the rest. */
  readonly validationReportsNextToken?: string;
  readonly audit: readonly AuditEvent[];
  /** Present when the audit trail goes on: `GET /v1/incidents/{id}/audit?nextToken=` reads the rest. */
  readonly auditNextToken?: string;
}

/**
 * An incident with the first page of its candidates, re-validation reports, approvals and audit
 * trail, as `GET /v1/incidents/{id}` shows it: each page bounded in bytes, so the whole stays
 * below Lambda's 6 MB response, with a token to read on where it goes on. Incidents written
 * before the candidates and reports had items of their own hold them in lists, which come first.
 */
export async function incidentDetail(incidentId: string): Promise<IncidentDetail> {
  const incident = await loadIncident(incidentId);
  const [approvals, audit, candidates, validationReports] = await Promise.all([
    // The first page of the approvals, a quarter of a page's bytes beside the rest of the detail.
    listApprovalPage(incidentId, { limit: MAX_APPROVALS_PER_PAGE, maxBytes: APPROVALS_PAGE_BYTES / 4 }),
    // The first page of the audit trail, half a page's bytes beside the rest of the detail.
    listAuditPage(incidentId, { limit: MAX_AUDIT_PER_PAGE, maxBytes: AUDIT_PAGE_BYTES / 2 }),
    // The first page of the candidates and of the reports, an eighth of a page's bytes each.
    listIncidentRecordPage(incidentId, 'candidate', firstRecords),
    listIncidentRecordPage(incidentId, 'validation', firstRecords),
  ]);
  return {
    ...incident,
    candidates: [...(incident.candidates ?? []), ...(candidates.records as Candidate[])],
    ...(candidates.nextKey ? { candidatesNextToken: encodePageToken(candidates.nextKey) as string } : {}),
    validationReports: [
      ...(incident.validationReports ?? []),
      ...(validationReports.records as ValidationReport[]),
    ],
    ...(validationReports.nextKey
      ? { validationReportsNextToken: encodePageToken(validationReports.nextKey) as string }
      : {}),
    approvals: approvals.approvals,
    ...(approvals.nextKey ? { approvalsNextToken: encodePageToken(approvals.nextKey) as string } : {}),
    audit: audit.audit,
    ...(audit.nextKey ? { auditNextToken: encodePageToken(audit.nextKey) as string } : {}),
  };
}

const firstRecords = { limit: MAX_RECORDS_PER_PAGE, maxBytes: RECORDS_PAGE_BYTES / 8 };

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
