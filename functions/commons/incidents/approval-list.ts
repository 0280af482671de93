import * as z from '#commons/zod';
import { INCIDENT_RECORD_LIMITS } from './record-limits.ts';

/** Approvals a page holds at most (and by default): every one an incident may have. */
export const MAX_APPROVALS_PER_PAGE = INCIDENT_RECORD_LIMITS.approvals;

/**
 * JSON of approvals a page holds at most (one approval at least, and an approval takes up to
 * ~275 KB): a page stays well below Lambda's 6 MB response. The incident's detail holds a first
 * page of a quarter as much, beside the incident and the first page of its audit trail.
 */
export const APPROVALS_PAGE_BYTES = 4_000_000;

/** `GET /v1/incidents/{id}/approvals`: a page of the incident's approvals. */
export const approvalListQuerySchema = z.object({
  limit: z._default(
    z.coerce.number().check(z.int(), z.minimum(1), z.maximum(MAX_APPROVALS_PER_PAGE)),
    MAX_APPROVALS_PER_PAGE,
  ),
  nextToken: z.optional(z.string().check(z.maxLength(4096))),
});
