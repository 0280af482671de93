import * as z from '#commons/zod';

export const webhookPathSchema = z.object({
  webhookId: z.string().check(z.regex(/^wh_[0-9a-f]{20}$/, 'a webhook id such as wh_0123456789abcdef0123')),
});

/** The largest page of `GET /v1/webhooks/{id}/failures`. */
export const MAX_FAILURES_PAGE = 50;

export const failuresQuerySchema = z.strictObject({
  limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(MAX_FAILURES_PAGE)), 20),
  nextToken: z.optional(z.string().check(z.maxLength(4096))),
});
