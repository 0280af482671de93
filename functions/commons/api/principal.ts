import type { APIGatewayProxyEvent } from 'aws-lambda';
import { HttpError } from '#commons/http';

/** Who is calling, as the authorizer established it from `x-api-key`. */
export type Principal =
  | { readonly kind: 'admin' }
  | { readonly kind: 'model'; readonly modelId: string; readonly keyId: string };

/** The authorizer's context, as API Gateway passes it (string values only). */
export type AuthorizerContext =
  | { principal: 'admin' }
  | { principal: 'model'; modelId: string; keyId: string };

export function principalOf(event: APIGatewayProxyEvent): Principal {
  const context = event.requestContext.authorizer as Partial<Record<string, unknown>> | null | undefined;
  if (context?.principal === 'admin') return { kind: 'admin' };
  if (
    context?.principal === 'model' &&
    typeof context.modelId === 'string' &&
    typeof context.keyId === 'string'
  ) {
    return { kind: 'model', modelId: context.modelId, keyId: context.keyId };
  }
  throw new HttpError(401, 'unauthorized', 'Missing or invalid x-api-key');
}

export function requireAdmin(principal: Principal): void {
  if (principal.kind !== 'admin') throw new HttpError(403, 'forbidden', 'This route needs the admin key');
}

/** Ingest routes: the admin key, or a key of this very model. */
export function requireModelAccess(principal: Principal, modelId: string): void {
  if (principal.kind === 'admin') return;
  if (principal.modelId !== modelId)
    throw new HttpError(403, 'forbidden', `This key is not a key of model ${modelId}`);
}
