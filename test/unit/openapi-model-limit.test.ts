import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../functions/commons/api/openapi.ts';
import { MAX_MODELS } from '../../functions/commons/registry/limits.ts';

describe('OpenAPI: the limit of registered models', () => {
  // biome-ignore lint/suspicious/noExplicitAny: the test reads whatever the document holds
  const doc = openApiDocument() as { paths: Record<string, Record<string, any>> };

  it('says how many models are registered at most, and the 409 past them', () => {
    const put = doc.paths['/v1/models/{modelId}']?.put;
    expect(MAX_MODELS).toBe(10_000);
    expect(put.summary).toBe(
      'Register or update a model; at most 10,000 models are registered: a new one past them is refused with 409 limit_reached',
    );
    expect(put.responses['409']).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    });
  });
});
