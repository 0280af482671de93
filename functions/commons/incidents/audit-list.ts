import * as z from '#commons/zod';

/** Audit events a page holds at most (and by default). */
export const MAX_AUDIT_PER_PAGE = 1000;

/**
 * JSON an audit page holds at most (one event at least, and an event takes up to ~368 KB): a
 * page stays well below Lambda's 6 MB response. The incident's detail holds a first page of half
 * as much beside the incident.
 */
export const AUDIT_PAGE_BYTES = 4_000_000;

/** `GET /v1/incidents/{id}/audit`: a page of the incident's audit trail. */
export const auditListQuerySchema = z.object({
  limit: z._default(
    z.coerce.number().check(z.int(), z.minimum(1), z.maximum(MAX_AUDIT_PER_PAGE)),
    MAX_AUDIT_PER_PAGE,
  ),
  nextToken: z.optional(z.string().check(z.maxLength(4096))),
});
