/**
 * Every Lambda function Vigil deploys, by id. The stateless stack builds one house-construct
 * function per entry, the local runtime loads the same entry files, and `bench/bundles`
 * measures each of them.
 */
export interface FunctionDefinition {
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeoutSeconds: number;
}

export const functionCatalog = {
  health: {
    entry: 'functions/health.ts',
    description: 'GET /healthz',
    memorySize: 256,
    timeoutSeconds: 5,
  },
  authorizer: {
    entry: 'functions/authorizer.ts',
    description: 'API request authorizer: admin and model keys (x-api-key)',
    memorySize: 256,
    timeoutSeconds: 5,
  },
  registry: {
    entry: 'functions/registry.ts',
    description: 'Model registry admin API: models, keys, versions, baselines',
    memorySize: 1024,
    timeoutSeconds: 29,
  },
  ingest: {
    entry: 'functions/ingest.ts',
    description: 'Ingest API: predictions, actuals, metric points, feedback',
    memorySize: 1024,
    timeoutSeconds: 29,
  },
  openapi: {
    entry: 'functions/openapi.ts',
    description: 'GET /openapi.json, generated from the request schemas',
    memorySize: 512,
    timeoutSeconds: 10,
  },
  evaluations: {
    entry: 'functions/evaluations.ts',
    description: 'Evaluations API: evaluate now',
    memorySize: 1024,
    timeoutSeconds: 29,
  },
  reports: {
    entry: 'functions/reports.ts',
    description: 'Reports: the KPI report of a model and the HTML report of an evaluation',
    memorySize: 1024,
    timeoutSeconds: 29,
  },
  evaluationReads: {
    entry: 'functions/evaluation-reads.ts',
    description: 'Evaluation reads API: list and read evaluations (read-only)',
    memorySize: 1024,
    timeoutSeconds: 29,
  },
  scheduledEvaluation: {
    entry: 'functions/scheduled-evaluation.ts',
    description: 'Scheduled evaluation of every model that is due; opens incidents on breaches',
    memorySize: 1024,
    timeoutSeconds: 300,
  },
  deliveryRefresh: {
    entry: 'functions/delivery-refresh.ts',
    description:
      "Scheduled: approvers' subscription states; requests sent to addresses confirmed since; MLOps told of lost ones",
    memorySize: 512,
    timeoutSeconds: 120,
  },
  incidents: {
    entry: 'functions/incidents.ts',
    description: 'Incident API: list, detail with approvals and audit trail, candidate callback',
    memorySize: 512,
    timeoutSeconds: 29,
  },
  approvals: {
    entry: 'functions/approvals.ts',
    description:
      'Pages opened from emails: approvals (GET shows the evidence and a signed form, POST decides once) and read-only views',
    memorySize: 512,
    timeoutSeconds: 29,
  },
  workflowApproval: {
    entry: 'functions/workflow-approval.ts',
    description:
      'Governance workflow: human step requests (token kept server-side, one signed link per recipient)',
    memorySize: 512,
    timeoutSeconds: 60,
  },
  workflowSteps: {
    entry: 'functions/workflow-steps.ts',
    description:
      'Governance workflow: promotion, notices, rollback, closing, failure path, revert request (steps that email or publish)',
    memorySize: 512,
    timeoutSeconds: 60,
  },
  workflowRecords: {
    entry: 'functions/workflow-records.ts',
    description:
      'Governance workflow: preparation, re-validation, verification check, baseline decisions, revert proof (steps that only read and record)',
    memorySize: 512,
    timeoutSeconds: 60,
  },
  evidence: {
    entry: 'functions/evidence.ts',
    description:
      "Evidence: signs the heads of incidents' hash chains (the only user of the signing key), evidence bundles, JWKS",
    memorySize: 512,
    timeoutSeconds: 29,
  },
  webhooks: {
    entry: 'functions/webhooks.ts',
    description: 'Outbound webhooks API: register, list, delete, test, failed deliveries',
    memorySize: 512,
    timeoutSeconds: 29,
  },
  webhookDelivery: {
    entry: 'functions/webhook-delivery.ts',
    description:
      'Webhook queue consumer: fans events out to webhooks, signs and delivers them, retries with backoff',
    memorySize: 512,
    timeoutSeconds: 60,
  },
} as const satisfies Record<string, FunctionDefinition>;

export type FunctionId = keyof typeof functionCatalog;
