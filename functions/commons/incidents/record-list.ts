import * as z from '#commons/zod';
import { INCIDENT_RECORD_LIMITS } from './record-limits.ts';

/** Candidates or re-validation reports a page holds at most (and by default): every one an incident may have. */
export const MAX_RECORDS_PER_PAGE = INCIDENT_RECORD_LIMITS.candidates;

/**
 * JSON of candidates or reports a page holds at most (one at least; a candidate takes up to
 * ~60 KB, a report ~65 KB): a page stays well below Lambda's 6 MB response. The incident's detail
 * holds a first page of each of an eighth as much, beside the incident, its approvals and audit trail.
 */
export const RECORDS_PAGE_BYTES = 4_000_000;

/** `GET /v1/incidents/{id}/candidates` and `.../validation-reports`: a page of them. */
export const recordListQuerySchema = z.object({
  limit: z._default(
    z.coerce.number().check(z.int(), z.minimum(1), z.maximum(MAX_RECORDS_PER_PAGE)),
    MAX_RECORDS_PER_PAGE,
  ),
  nextToken: z.optional(z.string().check(z.maxLength(4096))),
});
