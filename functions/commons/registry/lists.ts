import * as z from '#commons/zod';

/**
 * Versions a page holds at most (and by default): a version takes up to ~45 KB ("Item sizes" in
 * docs/architecture.md), so a page of them, the model and its first keys stay below Lambda's 6 MB
 * response.
 */
export const MAX_VERSIONS_PER_PAGE = 50;

/** Model keys a page holds at most (and by default): a key's record is below 1 KB. */
export const MAX_KEYS_PER_PAGE = 100;

const pageQuery = (most: number) =>
  z.object({
    limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(most)), most),
    nextToken: z.optional(z.string().check(z.maxLength(4096))),
  });

/** `GET /v1/models/{id}/versions`: a page of the model's versions. */
export const versionListQuerySchema = pageQuery(MAX_VERSIONS_PER_PAGE);

/** `GET /v1/models/{id}/keys`: a page of the model's keys. */
export const keyListQuerySchema = pageQuery(MAX_KEYS_PER_PAGE);
