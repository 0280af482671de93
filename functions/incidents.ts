import * as z from 'zod';
import { apiHandler } from '#commons/api/handler';
import { principalOf, requireAdmin } from '#commons/api/principal';
import { parseBody, parseParams } from '#commons/api/request';
import { json } from '#commons/http';
import { submitCandidate } from '#commons/incidents/candidate';
import { requestOrigin } from '#commons/incidents/origin';
import { candidateInputSchema } from '#commons/incidents/schema';
import { listIncidents } from '#commons/incidents/store';
import { incidentDetail, incidentListItem } from '#commons/incidents/view';
import { modelIdSchema } from '#commons/registry/schema';
import { metrics } from '#powertools/metrics';

const incidentPath = z.object({
  incidentId: z.string().regex(/^inc_[0-9a-f]{20}$/, 'an incident id such as inc_0123456789abcdef0123'),
});
const listQuery = z.object({
  modelId: modelIdSchema.optional(),
  status: z.enum(['open', 'resolved', 'false_alarm', 'abandoned', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/**
 * The incident API: listing and detail (admin), and the candidate callback of the retraining
 * step (the admin key or a key of the incident's model).
 */
export const handler = apiHandler({
  'GET /v1/incidents': async (event) => {
    requireAdmin(principalOf(event));
    const query = parseParams(event.queryStringParameters, listQuery, 'query');
    const incidents = await listIncidents(query);
    return json(200, { incidents: incidents.map(incidentListItem) });
  },

  'GET /v1/incidents/{incidentId}': async (event) => {
    requireAdmin(principalOf(event));
    const { incidentId } = parseParams(event.pathParameters, incidentPath, 'path');
    return json(200, await incidentDetail(incidentId));
  },

  'POST /v1/incidents/{incidentId}/candidate': async (event) => {
    const principal = principalOf(event);
    const { incidentId } = parseParams(event.pathParameters, incidentPath, 'path');
    const input = parseBody(event, candidateInputSchema);
    const { candidate } = await submitCandidate(incidentId, input, principal, requestOrigin(event));
    metrics.addMetric('CandidatesSubmitted', 'Count', 1);
    return json(202, { incidentId, candidate, next: 'revalidation' });
  },
});
