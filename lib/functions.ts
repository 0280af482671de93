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
} as const satisfies Record<string, FunctionDefinition>;

export type FunctionId = keyof typeof functionCatalog;
