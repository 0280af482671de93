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
  readonly handler: Exclude<
    FunctionId,
    'authorizer' | 'scheduledEvaluation' | 'deliveryRefresh' | 'webhookDelivery'
  >;
  /** `apiKey`: the request authorizer checks `x-api-key`; `none`: public. */
  readonly auth: 'apiKey' | 'none';
}

export const routes: readonly RouteDefinition[] = [
  { method: 'GET', path: '/healthz', handler: 'health', auth: 'none' },
  // Model registry (admin)
  { method: 'GET', path: '/v1/models', handler: 'registry', auth: 'apiKey' },
  { method: 'PUT', path: '/v1/models/{modelId}', handler: 'registry', auth: 'apiKey' },
  { method: 'GET', path: '/v1/models/{modelId}', handler: 'registry', auth: 'apiKey' },
  { method: 'GET', path: '/v1/models/{modelId}/versions', handler: 'registry', auth: 'apiKey' },
  { method: 'GET', path: '/v1/models/{modelId}/keys', handler: 'registry', auth: 'apiKey' },
  { method: 'POST', path: '/v1/models/{modelId}/keys', handler: 'registry', auth: 'apiKey' },
  { method: 'DELETE', path: '/v1/models/{modelId}/keys/{keyId}', handler: 'registry', auth: 'apiKey' },
  { method: 'POST', path: '/v1/models/{modelId}/versions', handler: 'registry', auth: 'apiKey' },
  { method: 'PUT', path: '/v1/models/{modelId}/baseline', handler: 'registry', auth: 'apiKey' },
  { method: 'POST', path: '/v1/models/{modelId}/delivery/resend', handler: 'registry', auth: 'apiKey' },
  // Ingest (admin or a key of the model)
  { method: 'POST', path: '/v1/models/{modelId}/predictions', handler: 'ingest', auth: 'apiKey' },
  { method: 'POST', path: '/v1/models/{modelId}/actuals', handler: 'ingest', auth: 'apiKey' },
  { method: 'POST', path: '/v1/models/{modelId}/metrics', handler: 'ingest', auth: 'apiKey' },
  { method: 'POST', path: '/v1/models/{modelId}/feedback', handler: 'ingest', auth: 'apiKey' },
  { method: 'GET', path: '/openapi.json', handler: 'openapi', auth: 'none' },
  // Evaluations (admin)
  { method: 'POST', path: '/v1/models/{modelId}/evaluations', handler: 'evaluations', auth: 'apiKey' },
  { method: 'GET', path: '/v1/models/{modelId}/evaluations', handler: 'evaluationReads', auth: 'apiKey' },
  { method: 'GET', path: '/v1/evaluations/{evaluationId}', handler: 'evaluationReads', auth: 'apiKey' },
  // Reports (admin)
  { method: 'GET', path: '/v1/models/{modelId}/report', handler: 'reports', auth: 'apiKey' },
  { method: 'GET', path: '/v1/evaluations/{evaluationId}/report', handler: 'reports', auth: 'apiKey' },
  // Incidents and the governance workflow (admin; the candidate callback also takes the model's keys)
  { method: 'GET', path: '/v1/incidents', handler: 'incidents', auth: 'apiKey' },
  { method: 'GET', path: '/v1/incidents/{incidentId}', handler: 'incidents', auth: 'apiKey' },
  { method: 'GET', path: '/v1/incidents/{incidentId}/audit', handler: 'incidents', auth: 'apiKey' },
  { method: 'GET', path: '/v1/incidents/{incidentId}/approvals', handler: 'incidents', auth: 'apiKey' },
  { method: 'GET', path: '/v1/incidents/{incidentId}/candidates', handler: 'incidents', auth: 'apiKey' },
  {
    method: 'GET',
    path: '/v1/incidents/{incidentId}/validation-reports',
    handler: 'incidents',
    auth: 'apiKey',
  },
  { method: 'POST', path: '/v1/incidents/{incidentId}/candidate', handler: 'incidents', auth: 'apiKey' },
  // An authorized agent's decision of a delegated step (admin, or a key of the model with the agent scope)
  { method: 'POST', path: '/v1/incidents/{incidentId}/decisions', handler: 'incidents', auth: 'apiKey' },
  // Evidence: the signed hash chain of an incident (admin) and the public keys that verify it (public)
  { method: 'GET', path: '/v1/incidents/{incidentId}/evidence', handler: 'evidence', auth: 'apiKey' },
  { method: 'GET', path: '/.well-known/jwks.json', handler: 'evidence', auth: 'none' },
  // Outbound webhooks (admin)
  { method: 'POST', path: '/v1/webhooks', handler: 'webhooks', auth: 'apiKey' },
  { method: 'GET', path: '/v1/webhooks', handler: 'webhooks', auth: 'apiKey' },
  { method: 'DELETE', path: '/v1/webhooks/{webhookId}', handler: 'webhooks', auth: 'apiKey' },
  { method: 'POST', path: '/v1/webhooks/{webhookId}/test', handler: 'webhooks', auth: 'apiKey' },
  { method: 'GET', path: '/v1/webhooks/{webhookId}/failures', handler: 'webhooks', auth: 'apiKey' },
  // Approval pages: public, every link signed for one recipient
  { method: 'GET', path: '/approvals/{approvalId}', handler: 'approvals', auth: 'none' },
  { method: 'POST', path: '/approvals/{approvalId}', handler: 'approvals', auth: 'none' },
  { method: 'GET', path: '/views/incidents/{incidentId}', handler: 'approvals', auth: 'none' },
  { method: 'GET', path: '/views/evaluations/{evaluationId}/report', handler: 'approvals', auth: 'none' },
];

/** Requests per second and burst of one API method (API Gateway stage method settings). */
export interface Throttle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/**
 * The limits of the public routes, far below the stage's (which ingest and the other keyed
 * routes use): people open and submit approval pages a few times a minute, and probes read
 * the health and the API description now and then.
 */
export const publicThrottles = {
  approvals: { rateLimit: 10, burstLimit: 20 },
  other: { rateLimit: 5, burstLimit: 10 },
} as const satisfies Record<string, Throttle>;

/** The limits of a public route: its own method setting on the stage. */
export function publicRouteThrottle(route: RouteDefinition): Throttle {
  return route.handler === 'approvals' ? publicThrottles.approvals : publicThrottles.other;
}

/**
 * What API Gateway answers when the authorizer refuses (its gateway responses are set to these
 * bodies), in the API's error shape. The local runtime answers the same.
 */
export const authErrors = {
  unauthorized: {
    statusCode: 401,
    body: {
      error: {
        code: 'unauthorized',
        message: 'Missing, unknown or revoked API key',
        issues: [{ path: 'x-api-key', message: 'send an active admin or model key in the x-api-key header' }],
      },
    },
  },
  forbidden: {
    statusCode: 403,
    body: {
      error: {
        code: 'forbidden',
        message: 'This key may not call this route',
        issues: [
          {
            path: 'x-api-key',
            message:
              "a model key may only call its own model's routes, within its scopes (ingest, candidate, agent)",
          },
        ],
      },
    },
  },
} as const;
