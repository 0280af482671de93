import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../functions/commons/api/openapi.ts';
import { MAX_BODY_BYTES } from '../../functions/commons/api/request-size.ts';

describe('OpenAPI: the body limit', () => {
  const doc = openApiDocument() as {
    info: { description: string };
    paths: Record<string, Record<string, { security: unknown[]; responses: Record<string, unknown> }>>;
  };

  it('states the one body limit clients can rely on, once, in the API description', () => {
    expect(MAX_BODY_BYTES).toBe(4_500_000);
    expect(doc.info.description).toContain(
      'A request body has at most 4,500,000 bytes on every route, sent with its Content-Length and a Content-Type: a larger body is refused with 413, a chunked one with 411, each naming (body).',
    );
  });

  it('lists the 411 and 413 refusals, in the error shape, on every keyed operation', () => {
    const operations = Object.values(doc.paths)
      .flatMap((methods) => Object.values(methods))
      .filter((operation) => operation.security.length > 0);
    expect(operations.length).toBeGreaterThan(20);
    for (const operation of operations) {
      for (const status of ['411', '413']) {
        expect(operation.responses[status]).toMatchObject({
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        });
      }
    }
  });
});
