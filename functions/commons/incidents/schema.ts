import { metricsSchema, modelIdSchema, semverSchema } from '#commons/registry/fields';
import * as z from '#commons/zod';
import { incidentKinds } from './types.ts';

/** `POST /v1/incidents/{id}/candidate`: the retrained version a training pipeline submits. */
export const candidateInputSchema = z.strictObject({
  version: semverSchema,
  artifactUri: z.string().check(z.minLength(1), z.maxLength(2048)),
  metrics: metricsSchema,
  /** True when scope, functionality or data usage changed: the AI-IRB and Legal then review it (SOP 6.5). */
  scopeChanged: z.boolean(),
  notes: z._default(z.string().check(z.maxLength(10_000)), ''),
});

export type CandidateInput = z.output<typeof candidateInputSchema>;

/**
 * Incidents per page at most: their list items (reasons cut to 300 characters each) stay far
 * below Lambda's 6 MB response.
 */
const MAX_INCIDENTS_PER_PAGE = 100;

/** `GET /v1/incidents`: a page of incidents, newest first. */
export const incidentListQuerySchema = z.object({
  modelId: z.optional(modelIdSchema),
  status: z.optional(z.enum(['open', 'resolved', 'false_alarm', 'abandoned', 'reverted', 'failed'])),
  kind: z.optional(z.enum(incidentKinds)),
  limit: z._default(
    z.coerce.number().check(z.int(), z.minimum(1), z.maximum(MAX_INCIDENTS_PER_PAGE)),
    MAX_INCIDENTS_PER_PAGE,
  ),
  nextToken: z.optional(z.string().check(z.maxLength(4096))),
});
