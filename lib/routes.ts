import type { FunctionId } from './functions.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * The REST API, one row per method and resource. The stateless stack creates the API Gateway
 * resources from it and the local runtime routes requests with it, so a route exists in both
 * or in neither.
 */
export interface RouteDefinition {
  readonly method: HttpMethod;
  /** API Gateway resource path, with `{name}` path parameters. */
  readonly path: string;
  readonly handler: FunctionId;
  /** `apiKey`: the request authorizer checks `x-api-key`; `none`: public. */
  readonly auth: 'apiKey' | 'none';
}

export const routes: readonly RouteDefinition[] = [
  { method: 'GET', path: '/healthz', handler: 'health', auth: 'none' },
];
