import * as z from '#commons/zod';
import { webhookEventTypes } from './events.ts';
import { urlProblem } from './send.ts';

/** Loopback receivers allowed: set by the local runtime, never in AWS. */
export function loopbackAllowed(): boolean {
  return process.env.VIGIL_WEBHOOKS_ALLOW_LOOPBACK === 'true';
}

/** `POST /v1/webhooks`. */
export const webhookInputSchema = z.strictObject({
  url: z.string().check(
    z.maxLength(2048),
    z.superRefine((url, ctx) => {
      const problem = urlProblem(url, loopbackAllowed());
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  ),
  events: z
    .array(
      z.enum(webhookEventTypes, {
        error: () => `an event type: one of ${webhookEventTypes.join(', ')}`,
      }),
    )
    .check(
      z.minLength(1),
      z.maxLength(webhookEventTypes.length),
      z.refine((events) => new Set(events).size === events.length, 'each event type once'),
    ),
  format: z._default(z.enum(['standard', 'slack']), 'standard'),
  description: z._default(z.string().check(z.trim(), z.maxLength(500)), ''),
});

export type WebhookInput = z.output<typeof webhookInputSchema>;

export const webhookPathSchema = z.object({
  webhookId: z.string().check(z.regex(/^wh_[0-9a-f]{20}$/, 'a webhook id such as wh_0123456789abcdef0123')),
});

/** The largest page of `GET /v1/webhooks/{id}/failures`. */
export const MAX_FAILURES_PAGE = 50;

export const failuresQuerySchema = z.strictObject({
  limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(MAX_FAILURES_PAGE)), 20),
  nextToken: z.optional(z.string().check(z.maxLength(4096))),
});
