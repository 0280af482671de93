import * as z from 'zod';

/**
 * Summaries per page at most: 100 of them stay far below Lambda's 6 MB response (a summary's
 * reasons are cut to 300 characters each; the evaluation keeps them whole).
 */
export const MAX_EVALUATIONS_PER_PAGE = 100;

/** `GET /v1/models/{id}/evaluations`: a page of summaries, newest window first. */
export const evaluationListQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_EVALUATIONS_PER_PAGE)
    .default(50)
    .describe('summaries per page (at most 100)'),
  nextToken: z.string().max(4096).optional().describe('the nextToken of the previous page'),
  from: z.iso.datetime({ offset: true }).optional().describe('window end at or after'),
  to: z.iso.datetime({ offset: true }).optional().describe('window end at or before'),
});
