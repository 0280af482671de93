import * as z from 'zod';
import { routes } from '../../../lib/routes.ts';
import { candidateInputSchema } from '../incidents/schema.ts';
import { keyInputSchema, modelInputSchema, versionInputSchema } from '../registry/schema.ts';
import {
  actualsBatchSchema,
  baselineSchema,
  feedbackSchema,
  metricsBatchSchema,
  predictionBatchSchema,
} from '../telemetry/records.ts';

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
    const parameters = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
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
      summary: body?.summary ?? key,
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
      responses: { '200': { description: 'Success' }, ...(route.auth === 'apiKey' ? errors : {}) },
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
