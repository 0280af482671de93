import type { FunctionId } from './functions.ts';
import type { TableId } from './tables.ts';

/**
 * The items a function may touch in one table, by partition key. Patterns are IAM `StringLike`
 * patterns (`*` matches any run of characters) on `dynamodb:LeadingKeys`: the table's `pk` for
 * item actions, the index's partition key (`gsi1pk`) for a query of an index.
 */
export interface ItemScope {
  /** Partition keys it may read: GetItem, BatchGetItem, Query, ConditionCheckItem. */
  readonly read?: readonly string[];
  /** Partition keys it may write: PutItem, UpdateItem, DeleteItem, BatchWriteItem. */
  readonly write?: readonly string[];
  /** Per index, the index partition keys it may query. */
  readonly indexes?: Readonly<Record<string, readonly string[]>>;
}

/**
 * Least privilege by key prefix for the functions that face callers who are not operators: the
 * request authorizer (every API request), ingest (model endpoints), the incident API (training
 * pipelines post candidates with model keys) and the approval pages (the public internet). Each
 * may touch only the items it owns or needs, whatever a flaw in its code would ask DynamoDB for.
 * The prefixes follow the key helpers (`functions/commons/<area>/keys.ts`, `evaluation/store.ts`);
 * `test/integration/item-scopes.test.ts` runs each handler through its paths and fails on any key
 * outside its scope, so a new key layout cannot ship without its grant. The workflow's steps
 * that only read and record need few keys and have them alone, and so do the reports, which only
 * read. The other functions are operator-facing and keep table-wide item access.
 */
export const itemScopes = {
  /** Key lookups only: never a model, an approval or a task token. */
  authorizer: {
    Governance: { read: ['KEY#*'] },
  },
  ingest: {
    Governance: {
      // The model (configuration, baseline record) and its reference profiles; the incident a
      // batch served by an unapproved version opens or joins (record, chain of events, and the
      // model's open-incident lock of that kind), never the model itself.
      read: ['MODEL#*', 'BASELINE#*', 'INCIDENT#*', 'EVENTS#*', 'LOCK#*'],
      write: ['FEEDBACK#*', 'INCIDENT#*', 'EVENTS#*', 'LOCK#*'],
    },
    Telemetry: {
      // Reads the batch ledger, the raw predictions actuals join and the names a model counts
      // by; writes those, the window deltas and the daily totals. Never reads a window: evaluations do.
      read: ['BATCH#*', 'PRED#*', 'NAMES#*'],
      write: ['PROFILE#*', 'TOTALS#*', 'BATCH#*', 'PRED#*', 'NAMES#*'],
    },
  },
  /** The incident API, which model keys reach through the candidate callback and agents' decisions. */
  incidents: {
    Governance: {
      // Incidents (record, candidate task), their chain of events (appended, never changed) and
      // the model (its versions, a key's name); the approval an agent decides and the items that
      // have the scheduled tick announce and apply its decision.
      read: ['INCIDENT#*', 'EVENTS#*', 'MODEL#*', 'APPROVAL#*'],
      write: ['INCIDENT#*', 'EVENTS#*', 'MODEL#*', 'APPROVAL#*', 'AGENT_DUE', 'AGENT_ANNOUNCE'],
      // The list of incidents, and an incident's approvals; the open incidents' sparse index.
      indexes: { gsi1: ['INCIDENTS', 'INCIDENT#*#APPROVALS'], open: ['OPEN_INCIDENTS'] },
    },
  },
  approvals: {
    Governance: {
      // The request, its incident (record, chain of events), the evidence (model, evaluation,
      // the baseline's reference profiles the report and the pages draw drifted features from).
      read: ['APPROVAL#*', 'INCIDENT#*', 'EVENTS#*', 'MODEL#*', 'EVAL#*', 'BASELINE#*'],
      write: ['APPROVAL#*', 'INCIDENT#*', 'EVENTS#*'],
      // The incident's other decisions.
      indexes: { gsi1: ['INCIDENT#*#APPROVALS'] },
    },
    // The window profiles of the read-only evaluation report that alert emails link to, and of
    // the drifted features an approval page draws.
    Telemetry: { read: ['PROFILE#*'] },
  },
  /**
   * The workflow's steps that only read and record (`functions/workflow-records.ts`): the
   * incident (record, chain of events), the model (its versions; the baseline in use and its
   * review) and its evaluations; never an approval, a key or a task token.
   */
  workflowRecords: {
    Governance: {
      read: ['INCIDENT#*', 'EVENTS#*', 'MODEL#*', 'EVAL#*'],
      write: ['INCIDENT#*', 'EVENTS#*', 'MODEL#*'],
      // The model's evaluations since a promotion.
      indexes: { gsi1: ['EVALS#*'] },
    },
  },
  /**
   * The reports (read-only): the model, its evaluations and baseline's reference profiles; the
   * KPI report's incidents (those opened in the period, from the incident index; the model's
   * ended in it, from the ended index) and daily totals; the window profiles of an evaluation's
   * HTML report. Never an approval, a key, a task token or a chain of events.
   */
  reports: {
    Governance: {
      read: ['MODEL#*', 'EVAL#*', 'BASELINE#*'],
      indexes: { gsi1: ['EVALS#*', 'INCIDENTS'], ended: ['ENDED#*'] },
    },
    Telemetry: { read: ['TOTALS#*', 'PROFILE#*'] },
  },
  /** The webhooks API: webhooks, their count and their failed deliveries; nothing else. */
  webhooks: {
    Governance: {
      read: ['WEBHOOK#*', 'WEBHOOKS'],
      write: ['WEBHOOK#*', 'WEBHOOKS'],
      indexes: { gsi1: ['WEBHOOKS'] },
    },
  },
  /**
   * The delivery function, which calls URLs from outside: reads webhooks (their sealed secrets)
   * and writes failed deliveries, and nothing else of the table.
   */
  webhookDelivery: {
    Governance: {
      read: ['WEBHOOK#*'],
      write: ['WEBHOOK#*#FAILURES'],
      indexes: { gsi1: ['WEBHOOKS'] },
    },
  },
} as const satisfies Partial<Record<FunctionId, Partial<Record<TableId, ItemScope>>>>;

export type ScopedFunctionId = keyof typeof itemScopes;
