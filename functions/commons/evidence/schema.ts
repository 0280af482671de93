import * as z from '#commons/zod';

/** Path and query of `GET /v1/incidents/{incidentId}/evidence`. */
export const evidencePathSchema = z.object({
  incidentId: z
    .string()
    .check(z.regex(/^inc_[0-9a-f]{20}$/, 'an incident id such as inc_0123456789abcdef0123')),
});
export const evidenceQuerySchema = z.object({
  format: z._default(z.enum(['json', 'html']), 'json'),
  /** The seq of the first event (a page of a long chain: a bundle's `nextFromSeq`). */
  fromSeq: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(9_999_999_999)), 1),
});
