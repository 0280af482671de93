import * as z from '#commons/zod';

/**
 * Summaries per page at most: 100 of them stay far below Lambda's 6 MB response (a summary's
 * reasons are cut to 300 characters each; the evaluation keeps them whole).
 */
export const MAX_EVALUATIONS_PER_PAGE = 100;

/** `GET /v1/models/{id}/evaluations`: a page of summaries, newest window first. */
export const evaluationListQuerySchema = z.object({
  limit: z
    ._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(MAX_EVALUATIONS_PER_PAGE)), 50)
    .check(z.describe('summaries per page (at most 100)')),
  nextToken: z
    .optional(z.string().check(z.maxLength(4096)))
    .check(z.describe('the nextToken of the previous page')),
  from: z.optional(z.iso.datetime({ offset: true })).check(z.describe('window end at or after')),
  to: z.optional(z.iso.datetime({ offset: true })).check(z.describe('window end at or before')),
});
