import type { APIGatewayProxyEvent } from 'aws-lambda';
import { HttpError } from '#commons/http';

/**
 * What a model key may do: `ingest` (predictions, actuals, metrics, feedback; the inference
 * host's key, and every key made before scopes existed), `candidate` (the retrained candidate
 * of an incident; the training pipeline's key) and `agent` (the decisions of the human steps the
 * model's `governance.agents` delegates; an authorized agent's key).
 */
export const KEY_SCOPES = ['ingest', 'candidate', 'agent'] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];
export const DEFAULT_KEY_SCOPES: readonly KeyScope[] = ['ingest'];

/** Who is calling, as the authorizer established it from `x-api-key`. */
export type Principal =
  | { readonly kind: 'admin' }
  | {
      readonly kind: 'model';
      readonly modelId: string;
      readonly keyId: string;
      readonly scopes: readonly KeyScope[];
    };

/** The authorizer's context, as API Gateway passes it (string values only: scopes space-separated). */
export type AuthorizerContext =
  | { principal: 'admin' }
  | { principal: 'model'; modelId: string; keyId: string; scopes: string };

/** A key's scopes from the authorizer's context; a context without them is an `ingest` key's. */
export function scopesOf(value: unknown): KeyScope[] {
  if (typeof value !== 'string') return [...DEFAULT_KEY_SCOPES];
  return KEY_SCOPES.filter((scope) => value.split(' ').includes(scope));
}

export function principalOf(event: APIGatewayProxyEvent): Principal {
  const context = event.requestContext.authorizer as Partial<Record<string, unknown>> | null | undefined;
  if (context?.principal === 'admin') return { kind: 'admin' };
  if (
    context?.principal === 'model' &&
    typeof context.modelId === 'string' &&
    typeof context.keyId === 'string'
  ) {
    return {
      kind: 'model',
      modelId: context.modelId,
      keyId: context.keyId,
      scopes: scopesOf(context.scopes),
    };
  }
  throw new HttpError(401, 'unauthorized', 'Missing or invalid x-api-key');
}

export function requireAdmin(principal: Principal): void {
  if (principal.kind !== 'admin') throw new HttpError(403, 'forbidden', 'This route needs the admin key');
}

/**
 * Model routes: the admin key, or a key of this very model that holds the scope the route
 * needs (`ingest` for the ingest routes, `candidate` for the candidate callback, `agent` for an
 * agent's decisions).
 */
export function requireModelAccess(principal: Principal, modelId: string, scope: KeyScope): void {
  if (principal.kind === 'admin') return;
  if (principal.modelId !== modelId)
    throw new HttpError(403, 'forbidden', `This key is not a key of model ${modelId}`);
  if (!principal.scopes.includes(scope)) {
    throw new HttpError(403, 'forbidden', `This key does not have the ${scope} scope`, [
      {
        path: 'x-api-key',
        message: `a key with the ${scope} scope is needed; this one has ${principal.scopes.join(', ')}`,
      },
    ]);
  }
}
