import * as z from '#commons/zod';

/**
 * JSON of events a bundle answers at most (one event at least, ≤ 368 KB): with the incident
 * (≤ 375 KB), well within Lambda's 6 MB response. A longer chain comes in pages.
 */
export const EVIDENCE_PAGE_BYTES = 4_000_000;

/**
 * JSON of events the HTML page of a bundle shows at most (one event at least): the page holds each
 * event's data and the bundle's JSON again, indented and escaped, so it takes several times as much.
 */
export const EVIDENCE_HTML_PAGE_BYTES = 750_000;

/** Events a bundle answers at most, whatever their size. */
export const EVIDENCE_PAGE_EVENTS = 1_000;

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
