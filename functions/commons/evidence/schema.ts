import * as z from '#commons/zod';

/** Path and query of `GET /v1/incidents/{incidentId}/evidence`. */
export const evidencePathSchema = z.object({
  incidentId: z
    .string()
    .check(z.regex(/^inc_[0-9a-f]{20}$/, 'an incident id such as inc_0123456789abcdef0123')),
});
export const evidenceQuerySchema = z.object({
  format: z._default(z.enum(['json', 'html']), 'json'),
});
