import * as z from 'zod';
import { routes } from '../../../lib/routes.ts';
import { evaluationListQuerySchema } from '../evaluation/schema.ts';
import { evidenceQuerySchema } from '../evidence/schema.ts';
import { candidateInputSchema, incidentListQuerySchema } from '../incidents/schema.ts';
import {
  keyInputSchema,
  modelInputSchema,
  modelListQuerySchema,
  versionInputSchema,
} from '../registry/schema.ts';
import {
  actualsBatchSchema,
  baselineSchema,
  feedbackSchema,
  metricsBatchSchema,
  predictionBatchSchema,
} from '../telemetry/records.ts';
import { failuresQuerySchema, webhookInputSchema } from '../webhooks/schema.ts';

/** Request bodies by `METHOD path`; every other route of the route table has none. */
const requestBodies: Record<string, { schema: z.ZodType; summary: string; optional?: true }> = {
  'PUT /v1/models/{modelId}': { schema: modelInputSchema, summary: 'Register or update a model' },
  'POST /v1/models/{modelId}/keys': {
    schema: keyInputSchema,
    summary: 'Create a model key with its scopes (ingest when there is no body); the key is shown once',
    optional: true,
  },
  'POST /v1/models/{modelId}/versions': { schema: versionInputSchema, summary: 'Register a model version' },
  'PUT /v1/models/{modelId}/baseline': { schema: baselineSchema, summary: 'Fit a new baseline' },
  'POST /v1/models/{modelId}/predictions': { schema: predictionBatchSchema, summary: 'Ingest predictions' },
  'POST /v1/models/{modelId}/actuals': { schema: actualsBatchSchema, summary: 'Ingest delayed ground truth' },
  'POST /v1/models/{modelId}/metrics': { schema: metricsBatchSchema, summary: 'Ingest metric points' },
  'POST /v1/models/{modelId}/feedback': { schema: feedbackSchema, summary: 'Record user feedback' },
  'POST /v1/incidents/{incidentId}/candidate': {
    schema: candidateInputSchema,
    summary: 'Submit a retrained candidate for an incident waiting for one',
  },
  'POST /v1/webhooks': {
    schema: webhookInputSchema,
    summary:
      'Register an outbound webhook for some event types (201: webhookId and its signing secret, whsec_..., shown this once)',
  },
};

const hex64 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;

/** The evidence bundle (docs/evidence.md). */
const evidenceBundleSchema = {
  type: 'object',
  required: ['incident', 'events', 'head', 'signature'],
  properties: {
    incident: {
      type: 'object',
      description: 'The incident as Vigil holds it (not covered by the signature)',
    },
    events: {
      type: 'array',
      items: {
        type: 'object',
        required: ['seq', 'type', 'at', 'actor', 'data', 'prevHash', 'hash'],
        properties: {
          seq: { type: 'integer', minimum: 1 },
          type: { type: 'string' },
          at: { type: 'string', format: 'date-time' },
          actor: { type: 'string' },
          data: { type: 'object' },
          prevHash: hex64,
          hash: { ...hex64, description: 'SHA-256 of the RFC 8785 canonical JSON of the event without hash' },
        },
      },
    },
    head: hex64,
    signature: { type: 'string', description: 'Compact JWS (ES256) over {incidentId, head, seq, signedAt}' },
  },
} as const;

/** Summaries, query parameters and success answers of routes without a request body. */
const readRoutes: Record<
  string,
  { summary: string; query?: z.ZodObject; content?: Record<string, { schema: unknown }> }
> = {
  'GET /v1/models/{modelId}/evaluations': {
    summary:
      "A page of the model's evaluation summaries, newest window first; nextToken, when present, reads the next page (GET /v1/evaluations/{evaluationId} reads one whole)",
    query: evaluationListQuerySchema,
  },
  'GET /v1/models': {
    summary: 'A page of the registered models, by id; nextToken, when present, reads the next page',
    query: modelListQuerySchema,
  },
  'GET /v1/incidents': {
    summary:
      'A page of incidents, newest first, of one model and in one status if asked; nextToken, when present, reads the next page',
    query: incidentListQuerySchema,
  },
  'GET /v1/incidents/{incidentId}/evidence': {
    summary:
      "An incident's evidence bundle: every governance event of its hash chain, the head and its signature (format=html: one self-contained page)",
    query: evidenceQuerySchema,
    content: {
      'application/json': { schema: evidenceBundleSchema },
      'text/html': { schema: { type: 'string' } },
    },
  },
  'GET /v1/webhooks': {
    summary:
      'Every webhook: id, URL origin (path and query hidden), event types, format, description; never a secret',
  },
  'DELETE /v1/webhooks/{webhookId}': { summary: 'Delete a webhook: it receives nothing more' },
  'POST /v1/webhooks/{webhookId}/test': {
    summary: 'Queue a signed webhook.test event to the webhook (202), delivered and retried like any event',
  },
  'GET /v1/webhooks/{webhookId}/failures': {
    summary:
      "A page of the webhook's failed deliveries, newest first (kept 30 days): refused at once (4xx, redirect, refused address) or given up after 24 hours of retries; nextToken, when present, reads the next page",
    query: failuresQuerySchema,
  },
  'GET /.well-known/jwks.json': {
    summary: 'The public keys that verify signed heads, as a JWK Set (current key first, then retired ones)',
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['keys'],
          properties: {
            keys: {
              type: 'array',
              items: {
                type: 'object',
                required: ['kty', 'crv', 'x', 'y', 'kid'],
                properties: {
                  kty: { const: 'EC' },
                  crv: { const: 'P-256' },
                  x: { type: 'string' },
                  y: { type: 'string' },
                  kid: { type: 'string', description: 'RFC 7638 thumbprint' },
                  alg: { const: 'ES256' },
                  use: { const: 'sig' },
                },
              },
            },
          },
        },
      },
    },
  },
};

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'issues'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        issues: {
          type: 'array',
          items: {
            type: 'object',
            required: ['path', 'message'],
            properties: { path: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
    },
  },
} as const;

/**
 * The OpenAPI 3.1 document of the API, generated from the route table and the zod schemas
 * that validate requests (JSON Schema 2020-12, which OpenAPI 3.1 uses), never written by hand.
 */
export function openApiDocument(serverUrl?: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const key = `${route.method} ${route.path}`;
    const body = requestBodies[key];
    const read = readRoutes[key];
    const parameters = [
      ...[...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
        name,
        in: 'path',
        required: true,
        schema: { type: 'string' },
      })),
      ...Object.entries(read?.query?.shape ?? {}).map(([name, schema]) => ({
        name,
        in: 'query',
        required: false,
        schema: z.toJSONSchema(schema as z.ZodType, { io: 'input', unrepresentable: 'any' }),
      })),
    ];
    const errors = Object.fromEntries(
      ['400', '401', '403', '404', '409', '413', '415'].map((status) => [
        status,
        {
          description: 'Client error',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      ]),
    );
    const operations = paths[route.path] ?? {};
    paths[route.path] = operations;
    operations[route.method.toLowerCase()] = {
      operationId: `${route.method.toLowerCase()}${route.path.replace(/[^A-Za-z0-9]+(\w)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      summary: body?.summary ?? read?.summary ?? key,
      ...(route.auth === 'apiKey' ? { security: [{ apiKey: [] }] } : { security: [] }),
      ...(parameters.length ? { parameters } : {}),
      ...(body
        ? {
            requestBody: {
              required: !body.optional,
              content: {
                'application/json': {
                  schema: z.toJSONSchema(body.schema, { io: 'input', unrepresentable: 'any' }),
                },
              },
            },
          }
        : {}),
      responses: {
        '200': { description: 'Success', ...(read?.content ? { content: read.content } : {}) },
        ...(route.auth === 'apiKey' ? errors : {}),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Vigil API',
      version: '1.0.0',
      description: 'Post-production monitoring and governance of machine-learning models.',
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    paths,
    components: {
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } },
      schemas: { Error: errorSchema },
    },
  };
}
