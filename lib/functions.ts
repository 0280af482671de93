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
} as const satisfies Record<string, FunctionDefinition>;

export type FunctionId = keyof typeof functionCatalog;
