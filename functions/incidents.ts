import type { APIGatewayProxyEvent } from 'aws-lambda';
import { apiHandler } from '#commons/api/handler';
import { decodePageToken, encodePageToken } from '#commons/api/page';
import { principalOf, requireAdmin } from '#commons/api/principal';
import { parseBody, parseParams } from '#commons/api/request';
import { isApprovalPageKey, listApprovalPage } from '#commons/approvals/store';
import { isEventPageKey } from '#commons/evidence/store';
import { json } from '#commons/http';
import { APPROVALS_PAGE_BYTES, approvalListQuerySchema } from '#commons/incidents/approval-list';
import { listAuditPage } from '#commons/incidents/audit';
import { auditListQuerySchema } from '#commons/incidents/audit-list';
import { requestOrigin } from '#commons/incidents/origin';
import { RECORDS_PAGE_BYTES, recordListQuerySchema } from '#commons/incidents/record-list';
import { candidateInputSchema, incidentListQuerySchema } from '#commons/incidents/schema';
import {
  isIncidentPageKey,
  isIncidentRecordPageKey,
  listIncidentPage,
  listIncidentRecordPage,
  loadIncident,
} from '#commons/incidents/store';
import { incidentDetail, incidentListItem } from '#commons/incidents/view';
import * as z from '#commons/zod';
import { metrics } from '#powertools/metrics';

const incidentPath = z.object({
  incidentId: z
    .string()
    .check(z.regex(/^inc_[0-9a-f]{20}$/, 'an incident id such as inc_0123456789abcdef0123')),
});

/** A page of an incident's candidates or re-validation reports (admin), in submission order. */
async function recordPage(event: APIGatewayProxyEvent, kind: 'candidate' | 'validation') {
  requireAdmin(principalOf(event));
  const { incidentId } = parseParams(event.pathParameters, incidentPath, 'path');
  const query = parseParams(event.queryStringParameters, recordListQuerySchema, 'query');
  const after = decodePageToken(query.nextToken, (key) => isIncidentRecordPageKey(incidentId, kind, key));
  await loadIncident(incidentId);
  const page = await listIncidentRecordPage(incidentId, kind, {
    limit: query.limit,
    maxBytes: RECORDS_PAGE_BYTES,
    ...(after ? { after } : {}),
  });
  return { records: page.records, nextToken: encodePageToken(page.nextKey) };
}

/**
 * The incident API: listing and detail (admin), the candidate callback of the retraining
 * step (the admin key or a key of the incident's model), and an authorized agent's decisions
 * (the admin key or an `agent` key of the incident's model).
 */
export const handler = apiHandler({
  'GET /v1/incidents': async (event) => {
    requireAdmin(principalOf(event));
    const query = parseParams(event.queryStringParameters, incidentListQuerySchema, 'query');
    const after = decodePageToken(query.nextToken, (key) => isIncidentPageKey(key, query.status));
    const page = await listIncidentPage({ ...query, after });
    const nextToken = encodePageToken(page.nextKey);
    return json(200, {
      incidents: page.incidents.map(incidentListItem),
      ...(nextToken ? { nextToken } : {}),
    });
  },

  'GET /v1/incidents/{incidentId}': async (event) => {
    requireAdmin(principalOf(event));
    const { incidentId } = parseParams(event.pathParameters, incidentPath, 'path');
    return json(200, await incidentDetail(incidentId));
  },

  'GET /v1/incidents/{incidentId}/audit': async (event) => {
    requireAdmin(principalOf(event));
    const { incidentId } = parseParams(event.pathParameters, incidentPath, 'path');
    const query = parseParams(event.queryStringParameters, auditListQuerySchema, 'query');
    const after = decodePageToken(query.nextToken, (key) => isEventPageKey(incidentId, key));
    await loadIncident(incidentId);
    const page = await listAuditPage(incidentId, { limit: query.limit, ...(after ? { after } : {}) });
    const nextToken = encodePageToken(page.nextKey);
    return json(200, { audit: page.audit, ...(nextToken ? { nextToken } : {}) });
  },

  'GET /v1/incidents/{incidentId}/approvals': async (event) => {
    requireAdmin(principalOf(event));
    const { incidentId } = parseParams(event.pathParameters, incidentPath, 'path');
    const query = parseParams(event.queryStringParameters, approvalListQuerySchema, 'query');
    const after = decodePageToken(query.nextToken, (key) => isApprovalPageKey(incidentId, key));
    await loadIncident(incidentId);
    const page = await listApprovalPage(incidentId, {
      limit: query.limit,
      maxBytes: APPROVALS_PAGE_BYTES,
      ...(after ? { after } : {}),
    });
    const nextToken = encodePageToken(page.nextKey);
    return json(200, { approvals: page.approvals, ...(nextToken ? { nextToken } : {}) });
  },

  'GET /v1/incidents/{incidentId}/candidates': async (event) => {
    const { records, nextToken } = await recordPage(event, 'candidate');
    return json(200, { candidates: records, ...(nextToken ? { nextToken } : {}) });
  },

  'GET /v1/incidents/{incidentId}/validation-reports': async (event) => {
    const { records, nextToken } = await recordPage(event, 'validation');
    return json(200, { validationReports: records, ...(nextToken ? { nextToken } : {}) });
  },

  'POST /v1/incidents/{incidentId}/candidate': async (event) => {
    const principal = principalOf(event);
    const { incidentId } = parseParams(event.pathParameters, incidentPath, 'path');
    const input = parseBody(event, candidateInputSchema);
    // A write of a few per incident: its code loads on first use (api-writes.ts).
    const { submitCandidate } = await import('#commons/incidents/api-writes');
    const { candidate } = await submitCandidate(incidentId, input, principal, requestOrigin(event));
    metrics.addMetric('CandidatesSubmitted', 'Count', 1);
    return json(202, { incidentId, candidate, next: 'revalidation' });
  },

  'POST /v1/incidents/{incidentId}/decisions': async (event) => {
    const principal = principalOf(event);
    const { incidentId } = parseParams(event.pathParameters, incidentPath, 'path');
    const { agentDecisionInputSchema, submitAgentDecision } = await import('#commons/incidents/api-writes');
    const input = parseBody(event, agentDecisionInputSchema);
    const decided = await submitAgentDecision(incidentId, input, principal, requestOrigin(event));
    return json(decided.status === 'applied' ? 200 : 202, decided);
  },
});
