import * as z from '#commons/zod';
import { webhookEventTypes } from './events.ts';
import { urlProblem } from './send.ts';

/**
 * A webhook's registration, `POST /v1/webhooks`: its schema, which checks the URL's address
 * rules. An admin registers a few webhooks, once each; the webhook function imports this module
 * with `await import()` on the first registration, so its lists, deletions, tests and failure
 * pages start without it (docs/architecture.md, "Cold start").
 */

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
