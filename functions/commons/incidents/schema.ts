import * as z from 'zod';
import { metricsSchema, modelIdSchema, semverSchema } from '#commons/registry/schema';
import { incidentKinds } from './types.ts';

/** `POST /v1/incidents/{id}/candidate`: the retrained version a training pipeline submits. */
export const candidateInputSchema = z.strictObject({
  version: semverSchema,
  artifactUri: z.string().min(1).max(2048),
  metrics: metricsSchema,
  /** True when scope, functionality or data usage changed: the AI-IRB and Legal then review it (SOP 6.5). */
  scopeChanged: z.boolean(),
  notes: z.string().max(10_000).default(''),
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
  status: z.enum(['open', 'resolved', 'false_alarm', 'abandoned', 'reverted', 'failed']).optional(),
  kind: z.enum(incidentKinds).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_INCIDENTS_PER_PAGE).default(MAX_INCIDENTS_PER_PAGE),
  nextToken: z.string().max(4096).optional(),
});
