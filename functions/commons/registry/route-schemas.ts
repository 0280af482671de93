import { keyNameSchema } from '#commons/agents/key-name';
import { KEY_SCOPES, type KeyScope } from '#commons/api/principal';
import * as z from '#commons/zod';
import { metricsSchema, semverSchema } from './fields.ts';

/**
 * The registry's request schemas other than the model's: a version, a key, a page of models.
 * They are small and built when the registry loads; the model's schema (schema.ts, which
 * re-exports these) is the largest of all and only a model's `PUT` parses it, so the registry
 * loads it on that route's first call (docs/architecture.md, "Cold start").
 */

export const versionInputSchema = z.strictObject({
  version: semverSchema,
  artifactUri: z.string().check(z.minLength(1), z.maxLength(2048)),
  metrics: z._default(metricsSchema, {}),
  notes: z._default(z.string().check(z.maxLength(10_000)), ''),
});

export type VersionInput = z.output<typeof versionInputSchema>;

/** `POST /v1/models/{id}/keys`: what the key may do (`ingest` when the body is absent). */
export const keyInputSchema = z.strictObject({
  scopes: z.pipe(
    z._default(z.array(z.enum(KEY_SCOPES)).check(z.minLength(1)), ['ingest']),
    z.transform((scopes: KeyScope[]) => [...new Set(scopes)]),
  ),
  /** A label for the audit trail, e.g. the agent that holds the key. */
  name: z.optional(keyNameSchema),
});

/**
 * Models per page at most: a model record is 130 KB at the very worst ("Item sizes"), so 25 of
 * them stay below Lambda's 6 MB response.
 */
const MAX_MODELS_PER_PAGE = 25;

/** `GET /v1/models`: a page of the registered models, by id. */
export const modelListQuerySchema = z.object({
  limit: z._default(
    z.coerce.number().check(z.int(), z.gte(1), z.lte(MAX_MODELS_PER_PAGE)),
    MAX_MODELS_PER_PAGE,
  ),
  nextToken: z.optional(z.string().check(z.maxLength(4096))),
});
