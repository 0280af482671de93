import * as z from 'zod';
import { metricsSchema, semverSchema } from '#commons/registry/schema';

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
