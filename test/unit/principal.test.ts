import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { principalOf, requireModelAccess } from '../../functions/commons/api/principal.ts';

const withContext = (authorizer: Record<string, string>) =>
  ({ requestContext: { authorizer } }) as unknown as APIGatewayProxyEvent;

/** The handlers check a key's scopes again, whatever policy let the request through. */
describe('principal scopes', () => {
  it('reads the scopes the authorizer passed, and a context without them as an ingest key', () => {
    expect(
      principalOf(withContext({ principal: 'model', modelId: 'm', keyId: 'k', scopes: 'candidate' })),
    ).toEqual({
      kind: 'model',
      modelId: 'm',
      keyId: 'k',
      scopes: ['candidate'],
    });
    expect(principalOf(withContext({ principal: 'model', modelId: 'm', keyId: 'k' }))).toMatchObject({
      scopes: ['ingest'],
    });
  });

  it('lets a key of the model through only with the scope the route needs', () => {
    const ingest = principalOf(
      withContext({ principal: 'model', modelId: 'm', keyId: 'k', scopes: 'ingest' }),
    );
    const both = principalOf(
      withContext({ principal: 'model', modelId: 'm', keyId: 'k', scopes: 'ingest candidate' }),
    );

    expect(() => requireModelAccess(ingest, 'm', 'ingest')).not.toThrow();
    expect(() => requireModelAccess(ingest, 'm', 'candidate')).toThrow(
      expect.objectContaining({ statusCode: 403, message: 'This key does not have the candidate scope' }),
    );
    expect(() => requireModelAccess(both, 'm', 'candidate')).not.toThrow();
    expect(() => requireModelAccess(both, 'other', 'ingest')).toThrow(
      expect.objectContaining({ statusCode: 403 }),
    );
    expect(() => requireModelAccess({ kind: 'admin' }, 'm', 'candidate')).not.toThrow();
  });
});
