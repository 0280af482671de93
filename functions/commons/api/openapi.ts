import { MAX_BODY_BYTES } from '#commons/api/request-size';
import * as z from '#commons/zod';
import { routes } from '../../../lib/routes.ts';
import { agentDecisionInputSchema } from '../agents/schema.ts';
import { evaluationListQuerySchema } from '../evaluation/schema.ts';
import {
  EVIDENCE_HTML_PAGE_BYTES,
  EVIDENCE_PAGE_BYTES,
  EVIDENCE_PAGE_EVENTS,
  evidenceQuerySchema,
} from '../evidence/schema.ts';
import {
  APPROVALS_PAGE_BYTES,
  approvalListQuerySchema,
  MAX_APPROVALS_PER_PAGE,
} from '../incidents/approval-list.ts';
import { AUDIT_PAGE_BYTES, auditListQuerySchema, MAX_AUDIT_PER_PAGE } from '../incidents/audit-list.ts';
import { INCIDENT_RECORD_LIMITS } from '../incidents/record-limits.ts';
import { MAX_RECORDS_PER_PAGE, RECORDS_PAGE_BYTES, recordListQuerySchema } from '../incidents/record-list.ts';
import { candidateInputSchema, incidentListQuerySchema } from '../incidents/schema.ts';
import { incidentKinds } from '../incidents/types.ts';
import { MAX_MODELS } from '../registry/limits.ts';
import {
  keyListQuerySchema,
  MAX_KEYS_PER_PAGE,
  MAX_VERSIONS_PER_PAGE,
  versionListQuerySchema,
} from '../registry/lists.ts';
import {
  keyInputSchema,
  modelInputSchema,
  modelListQuerySchema,
  versionInputSchema,
} from '../registry/schema.ts';
import { KPI_REPORT_BYTES } from '../reports/kpi-bounds.ts';
import {
  KPI_DEFAULT_DAYS,
  KPI_MAX_DAYS,
  KPI_MAX_EVALUATIONS,
  KPI_MAX_INCIDENTS,
  kpiPeriodQuerySchema,
} from '../reports/period.ts';
import { REPORT_PAGE_BYTES, reportQuerySchema } from '../reports/report-bounds.ts';
import {
  actualsBatchSchema,
  baselineSchema,
  feedbackSchema,
  metricsBatchSchema,
  predictionBatchSchema,
} from '../telemetry/records.ts';
import { webhookInputSchema } from '../webhooks/registration.ts';
import { failuresQuerySchema } from '../webhooks/schema.ts';

/** Request bodies by `METHOD path`; every other route of the route table has none. */
const requestBodies: Record<string, { schema: z.core.$ZodType; summary: string; optional?: true }> = {
  'PUT /v1/models/{modelId}': {
    schema: modelInputSchema,
    summary: `Register or update a model; at most ${MAX_MODELS.toLocaleString('en-US')} models are registered: a new one past them is refused with 409 limit_reached`,
  },
  'POST /v1/models/{modelId}/keys': {
    schema: keyInputSchema,
    summary: 'Create a model key with its scopes (ingest when there is no body); the key is shown once',
    optional: true,
  },
  'POST /v1/models/{modelId}/versions': { schema: versionInputSchema, summary: 'Register a model version' },
  'PUT /v1/models/{modelId}/baseline': {
    schema: baselineSchema,
    summary:
      "Fit a new baseline: in use at once (inUse: true), or, when the model's baseline review waits for one, resuming that review with it: QA approves it before evaluations use it (inUse: false, reviewIncidentId); 409 when the review's request lapsed or stopped waiting, 503 when the workflow could not be reached: nothing of a refused baseline is kept",
  },
  'POST /v1/models/{modelId}/predictions': {
    schema: predictionBatchSchema,
    summary:
      'Ingest predictions; a batch whose modelVersion is not approved opens an unapproved_version incident at once (its id is in the answer as incidentId)',
  },
  'POST /v1/models/{modelId}/actuals': { schema: actualsBatchSchema, summary: 'Ingest delayed ground truth' },
  'POST /v1/models/{modelId}/metrics': { schema: metricsBatchSchema, summary: 'Ingest metric points' },
  'POST /v1/models/{modelId}/feedback': { schema: feedbackSchema, summary: 'Record user feedback' },
  'POST /v1/incidents/{incidentId}/candidate': {
    schema: candidateInputSchema,
    summary: `Submit a retrained candidate for an incident waiting for one (202); 409 when its request lapsed or the step stopped waiting, 409 limit_reached naming incidentId when the incident has ${INCIDENT_RECORD_LIMITS.candidates} candidates already, 503 when the workflow could not be reached: nothing of a refused candidate is kept`,
  },
  'POST /v1/incidents/{incidentId}/decisions': {
    schema: agentDecisionInputSchema,
    summary:
      "An authorized agent decides a step the model delegates (admin or an agent key of the incident's model): 202 pending until governance.agentOverruleMinutes pass, during which the step's role may overrule it by email; 200 once applied",
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
    head: {
      ...hex64,
      description: "The hash of the last event of the bundle (the chain head, or a page's last)",
    },
    signature: { type: 'string', description: 'Compact JWS (ES256) over {incidentId, head, seq, signedAt}' },
    fromSeq: {
      type: 'integer',
      minimum: 2,
      description: 'A page that starts after seq 1: its first event links to the hash of the event before it',
    },
    nextFromSeq: {
      type: 'integer',
      minimum: 2,
      description: 'The chain goes on past this page: ask again with fromSeq=nextFromSeq',
    },
  },
} as const;

/** An evaluation's segments (docs/drift.md, Segments); the rest of the evaluation is described there too. */
const segmentsSchema = {
  type: 'array',
  description:
    "Per segment of the baseline (segment feature and value), breaching ones first: drift and performance as the model's, bounded to 32 KB of JSON (summaries first, then `drifted`, then `columns`, while they fit)",
  items: {
    type: 'object',
    required: ['feature', 'value', 'samples', 'referenceRecords', 'status', 'dataset', 'performance'],
    properties: {
      feature: { type: 'string' },
      value: { type: 'string', description: 'The value cut to 32 characters (… marks a cut), or __other__' },
      samples: { type: 'integer', description: "The segment's predictions in the window" },
      referenceRecords: { type: 'integer', description: "The segment's baseline records" },
      status: { type: 'string', enum: ['ok', 'breach', 'insufficient_data'] },
      dataset: { type: 'object', description: 'The dataset drift verdict of the segment, as drift.dataset' },
      drifted: {
        type: 'array',
        description: 'The ten most drifted columns: name, method, score, threshold',
        items: { type: 'object' },
      },
      columns: { type: 'array', description: 'Every column, as drift.columns', items: { type: 'object' } },
      performance: { type: 'object', description: 'samples and metrics from the actuals of the segment' },
    },
  },
} as const;

const binaryMetrics = Object.fromEntries(
  ['accuracy', 'precision', 'recall', 'f1'].map((m) => [m, { type: ['number', 'null'] }]),
);

/** The evaluation's fields documented here (the rest: docs/drift.md). */
const evaluationResponseSchema = {
  type: 'object',
  properties: {
    segments: segmentsSchema,
    segmentCounts: {
      type: 'object',
      description: 'Segments in all, listed, and by status',
      properties: Object.fromEntries(
        ['total', 'listed', 'breach', 'ok', 'insufficient_data'].map((k) => [k, { type: 'integer' }]),
      ),
    },
    versions: {
      type: 'array',
      description:
        'Predictions of the window per served model version, most first: "none" for batches sent without modelVersion, "other" past the first 20 versions',
      items: {
        type: 'object',
        required: ['version', 'predictions'],
        properties: { version: { type: 'string' }, predictions: { type: 'integer', minimum: 1 } },
      },
    },
    estimatedPerformance: {
      type: 'object',
      description:
        'Performance of the positive class estimated from calibrated scores (docs/drift.md, "Estimated performance"); present when the baseline has a calibration',
      required: ['accuracy', 'precision', 'recall', 'f1', 'samples', 'positiveClass', 'clipped', 'checks'],
      properties: {
        ...binaryMetrics,
        samples: { type: 'integer', minimum: 0 },
        positiveClass: { type: 'string' },
        clipped: {
          type: 'object',
          properties: { below: { type: 'integer' }, above: { type: 'integer' } },
        },
        realised: {
          type: 'object',
          description: 'The same metrics from the actuals joined so far',
          properties: { ...binaryMetrics, samples: { type: 'integer', minimum: 0 } },
        },
        error: { type: 'object', description: 'Estimate minus realised', properties: binaryMetrics },
        checks: { type: 'array', items: { type: 'object' }, description: 'thresholds.estimatedPerformance' },
      },
    },
  },
} as const;

/** The fields every incident shows, in a list and whole. */
const incidentSchema = {
  type: 'object',
  required: ['incidentId', 'modelId', 'kind', 'status', 'currentStep', 'openedAt', 'reasons'],
  properties: {
    incidentId: { type: 'string' },
    modelId: { type: 'string' },
    kind: {
      enum: incidentKinds,
      description:
        'What the incident is about: a monitoring breach, predictions served by an unapproved version, or a due baseline review; one open incident per model and kind',
    },
    status: { enum: ['open', 'resolved', 'false_alarm', 'abandoned', 'reverted', 'failed'] },
    currentStep: { type: 'string' },
    openedAt: { type: 'string', format: 'date-time' },
    closedAt: { type: 'string', format: 'date-time' },
    reasons: { type: 'array', items: { type: 'string' } },
    baselineReview: {
      type: 'object',
      description:
        'A baseline review: the baseline under review (version, fittedAt, reviewedAt, reviewDays, dueAt), the outcome (kept with its comment, or replaced), the new baseline (newBaseline) and when it went in use (adoptedAt)',
    },
  },
} as const;

/** Summaries, query parameters and success answers of routes without a request body. */
const readRoutes: Record<
  string,
  { summary: string; query?: z.core.$ZodObject; content?: Record<string, { schema: unknown }> }
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
  'GET /v1/models/{modelId}': {
    summary: `A model: its configuration, production version, baseline, delivery of its approvers' email, the first ${MAX_VERSIONS_PER_PAGE} versions and ${MAX_KEYS_PER_PAGE} keys; versionsNextToken and keysNextToken, when present, read the next page of each on their routes`,
  },
  'GET /v1/models/{modelId}/versions': {
    summary: `A page of the model's versions, in key order, ${MAX_VERSIONS_PER_PAGE} at most; nextToken, when present, reads the next page`,
    query: versionListQuerySchema,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['versions'],
          properties: {
            versions: { type: 'array', items: { type: 'object' } },
            nextToken: { type: 'string' },
          },
        },
      },
    },
  },
  'GET /v1/models/{modelId}/keys': {
    summary: `A page of the model's keys (revoked ones too, never a secret or its hash), by id, ${MAX_KEYS_PER_PAGE} at most; nextToken, when present, reads the next page`,
    query: keyListQuerySchema,
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
                required: ['keyId', 'scopes', 'createdAt'],
                properties: {
                  keyId: { type: 'string' },
                  scopes: { type: 'array', items: { type: 'string' } },
                  name: { type: 'string' },
                  createdAt: { type: 'string', format: 'date-time' },
                  revokedAt: { type: 'string', format: 'date-time' },
                },
              },
            },
            nextToken: { type: 'string' },
          },
        },
      },
    },
  },
  'GET /v1/incidents': {
    summary:
      'A page of incidents, newest first, of one model, in one status and of one kind (breach, unapproved_version, baseline_review) if asked; each names its kind; nextToken, when present, reads the next page (status=open pages the open incidents alone: its nextToken is for status=open only)',
    query: incidentListQuerySchema,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['incidents'],
          properties: { incidents: { type: 'array', items: incidentSchema }, nextToken: { type: 'string' } },
        },
      },
    },
  },
  'GET /v1/models/{modelId}/report': {
    summary: `The SOP's KPI report of the model over [from, to): to defaults to now, from to ${KPI_DEFAULT_DAYS} days before to; at most ${KPI_MAX_DAYS} days and ${KPI_MAX_EVALUATIONS} evaluations (400 naming from otherwise), and at most ${KPI_MAX_INCIDENTS} incidents opened in the period (of every model) and ${KPI_MAX_INCIDENTS} of the model ended in it (400 naming from otherwise). At most ${KPI_REPORT_BYTES.toLocaleString('en-US')} bytes: performanceDeviations lists the deviations in order while they fit, each reason cut to 300 characters; its count is exact, and listed, when present, says how many are listed`,
    query: kpiPeriodQuerySchema,
  },
  'GET /v1/incidents/{incidentId}': {
    summary: `An incident whole: its kind, steps, the first page of its candidates and of its re-validation reports (${INCIDENT_RECORD_LIMITS.candidates} at most in all; ${RECORDS_PAGE_BYTES / 8_000_000} MB of each at most here: candidatesNextToken and validationReportsNextToken, when present, read the rest on GET /v1/incidents/{incidentId}/candidates and /validation-reports), the first page of its approvals (${INCIDENT_RECORD_LIMITS.approvals.toLocaleString('en-US')} at most in all; ${APPROVALS_PAGE_BYTES / 4_000_000} MB of them at most here: approvalsNextToken, when present, reads the rest on GET /v1/incidents/{incidentId}/approvals) and the first page of its audit trail (${MAX_AUDIT_PER_PAGE} events and ${AUDIT_PAGE_BYTES / 2_000_000} MB of them at most); auditNextToken, when present, reads the rest on GET /v1/incidents/{incidentId}/audit`,
    content: { 'application/json': { schema: incidentSchema } },
  },
  'GET /v1/incidents/{incidentId}/audit': {
    summary: `A page of the incident's audit trail, in chain order: ${MAX_AUDIT_PER_PAGE} events at most, and ${AUDIT_PAGE_BYTES / 1_000_000} MB of them (one event at least); nextToken, when present, reads the next page`,
    query: auditListQuerySchema,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['audit'],
          properties: {
            audit: {
              type: 'array',
              items: {
                type: 'object',
                required: ['seq', 'hash', 'at', 'type', 'actor'],
                properties: {
                  seq: { type: 'integer', minimum: 1 },
                  hash: { type: 'string' },
                  at: { type: 'string', format: 'date-time' },
                  type: { type: 'string' },
                  actor: { type: 'string' },
                  step: { type: 'string' },
                  details: { type: 'object' },
                },
              },
            },
            nextToken: { type: 'string' },
          },
        },
      },
    },
  },
  'GET /v1/incidents/{incidentId}/approvals': {
    summary: `A page of the incident's requests for a decision (without task tokens), oldest first: ${MAX_APPROVALS_PER_PAGE} at most, and ${APPROVALS_PAGE_BYTES / 1_000_000} MB of them (one at least); nextToken, when present, reads the next page`,
    query: approvalListQuerySchema,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['approvals'],
          properties: {
            approvals: {
              type: 'array',
              items: {
                type: 'object',
                required: ['approvalId', 'incidentId', 'step', 'status', 'requestedAt', 'expiresAt'],
                properties: {
                  approvalId: { type: 'string' },
                  incidentId: { type: 'string' },
                  modelId: { type: 'string' },
                  step: { type: 'string' },
                  kind: { type: 'string' },
                  roles: { type: 'array', items: { type: 'string' } },
                  recipients: { type: 'array', items: { type: 'string' } },
                  requestedAt: { type: 'string', format: 'date-time' },
                  expiresAt: { type: 'string', format: 'date-time' },
                  status: { enum: ['pending', 'decided', 'expired', 'withdrawn', 'lapsed'] },
                  decision: { type: 'string' },
                  decidedBy: { type: 'string' },
                },
              },
            },
            nextToken: { type: 'string' },
          },
        },
      },
    },
  },
  'GET /v1/incidents/{incidentId}/candidates': {
    summary: `A page of the incident's candidates, in submission order: ${MAX_RECORDS_PER_PAGE} at most, and ${RECORDS_PAGE_BYTES / 1_000_000} MB of them (one at least); nextToken, when present, reads the next page. Candidates of incidents from before candidates had items of their own are in the incident's detail only`,
    query: recordListQuerySchema,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['candidates'],
          properties: {
            candidates: { type: 'array', items: { type: 'object' } },
            nextToken: { type: 'string' },
          },
        },
      },
    },
  },
  'GET /v1/incidents/{incidentId}/validation-reports': {
    summary: `A page of the incident's re-validation reports, one a candidate, in submission order: ${MAX_RECORDS_PER_PAGE} at most, and ${RECORDS_PAGE_BYTES / 1_000_000} MB of them (one at least); nextToken, when present, reads the next page`,
    query: recordListQuerySchema,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['validationReports'],
          properties: {
            validationReports: { type: 'array', items: { type: 'object' } },
            nextToken: { type: 'string' },
          },
        },
      },
    },
  },
  'GET /v1/incidents/{incidentId}/evidence': {
    summary: `An incident's evidence bundle: the governance events of its hash chain from fromSeq (1 by default), at most ${EVIDENCE_PAGE_BYTES / 1_000_000} MB of them (${EVIDENCE_HTML_PAGE_BYTES / 1_000} KB with format=html; one event at least) and ${EVIDENCE_PAGE_EVENTS}, the hash of the last and its signature (format=html: one self-contained page); nextFromSeq, when present, reads the rest of the chain, each page verifiable alone`,
    query: evidenceQuerySchema,
    content: {
      'application/json': { schema: evidenceBundleSchema },
      'text/html': { schema: { type: 'string' } },
    },
  },
  'GET /v1/evaluations/{evaluationId}/report': {
    summary: `The evaluation as one self-contained HTML page of at most ${REPORT_PAGE_BYTES.toLocaleString('en-US')} bytes when it cannot show every feature: then the most drifted features are drawn first and the others listed, each linked to its own page (feature=<name>: that feature's chart, statistics, data-quality checks and drift trend)`,
    query: reportQuerySchema,
    content: { 'text/html': { schema: { type: 'string' } } },
  },
  'GET /v1/evaluations/{evaluationId}': {
    summary:
      'One evaluation whole: drift, performance, complaints, the segments, the predictions per served model version, and the estimated performance of a model with a positive class',
    content: { 'application/json': { schema: evaluationResponseSchema } },
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
      ...Object.entries(read?.query?._zod.def.shape ?? {}).map(([name, schema]) => ({
        name,
        in: 'query',
        required: false,
        schema: z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }),
      })),
    ];
    const errors = Object.fromEntries(
      ['400', '401', '403', '404', '409', '411', '413', '415'].map((status) => [
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
      description: `Post-production monitoring and governance of machine-learning models. A request body has at most ${MAX_BODY_BYTES.toLocaleString('en-US')} bytes on every route, sent with its Content-Length and a Content-Type: a larger body is refused with 413, a chunked one with 411, each naming (body).`,
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    paths,
    components: {
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } },
      schemas: { Error: errorSchema },
    },
  };
}
