import * as z from 'zod';
import { webhookEventTypes } from './events.ts';
import { urlProblem } from './send.ts';

/** Loopback receivers allowed: set by the local runtime, never in AWS. */
export function loopbackAllowed(): boolean {
  return process.env.VIGIL_WEBHOOKS_ALLOW_LOOPBACK === 'true';
}

/** `POST /v1/webhooks`. */
export const webhookInputSchema = z.strictObject({
  url: z
    .string()
    .max(2048)
    .superRefine((url, ctx) => {
      const problem = urlProblem(url, loopbackAllowed());
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  events: z
    .array(
      z.enum(webhookEventTypes, {
        error: () => `an event type: one of ${webhookEventTypes.join(', ')}`,
      }),
    )
    .min(1)
    .max(webhookEventTypes.length)
    .refine((events) => new Set(events).size === events.length, 'each event type once'),
  format: z.enum(['standard', 'slack']).default('standard'),
  description: z.string().trim().max(500).default(''),
});

export type WebhookInput = z.output<typeof webhookInputSchema>;

export const webhookPathSchema = z.object({
  webhookId: z.string().regex(/^wh_[0-9a-f]{20}$/, 'a webhook id such as wh_0123456789abcdef0123'),
});

/** The largest page of `GET /v1/webhooks/{id}/failures`. */
export const MAX_FAILURES_PAGE = 50;

export const failuresQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_FAILURES_PAGE).default(20),
  nextToken: z.string().max(4096).optional(),
});
