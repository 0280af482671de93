import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { apiHandler } from '#commons/api/handler';
import { principalOf, requireAdmin } from '#commons/api/principal';
import { parseParams } from '#commons/api/request';
import { evidenceBundle, evidenceJwks, signClosedIncident } from '#commons/evidence/bundle';
import { evidencePage } from '#commons/evidence/html';
import { EVIDENCE_HTML_PAGE_BYTES, evidencePathSchema, evidenceQuerySchema } from '#commons/evidence/schema';
import { verifyBundle } from '#commons/evidence/verify';
import { json } from '#commons/http';
import { taskHandler } from '#commons/workflow/task-handler';
import * as z from '#commons/zod';

const api = apiHandler({
  'GET /v1/incidents/{incidentId}/evidence': async (event) => {
    requireAdmin(principalOf(event));
    const { incidentId } = parseParams(event.pathParameters, evidencePathSchema, 'path');
    const { format, fromSeq } = parseParams(event.queryStringParameters, evidenceQuerySchema, 'query');
    const bundle = await evidenceBundle(incidentId, {
      fromSeq,
      ...(format === 'html' ? { maxBytes: EVIDENCE_HTML_PAGE_BYTES } : {}),
    });
    if (format === 'json') return json(200, bundle);
    return evidencePage(bundle, verifyBundle(bundle, await evidenceJwks()));
  },

  'GET /.well-known/jwks.json': async () =>
    json(200, await evidenceJwks(), { 'cache-control': 'public, max-age=300' }),
});

/** The workflow's last step: sign the closed incident's head. */
const sign = taskHandler(
  z.object({ action: z.literal('sign'), incidentId: z.string().check(z.minLength(1)) }),
  async ({ incidentId }) => ({ signed: (await signClosedIncident(incidentId)) ?? null }),
);

/**
 * Evidence of the governance records, the one function that may use the signing key: the
 * evidence bundle of an incident (admin, JSON or HTML), the public keys as a JWK Set (public),
 * and the workflow's task that signs a closed incident's head.
 */
export async function handler(event: unknown, context: Context): Promise<unknown> {
  if (typeof event === 'object' && event !== null && 'httpMethod' in event) {
    return api(event as APIGatewayProxyEvent, context) as Promise<APIGatewayProxyResult>;
  }
  return sign(event as never, context);
}
