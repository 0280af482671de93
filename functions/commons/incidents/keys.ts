import type { IncidentKind } from './types.ts';

/**
 * Key layout of the incident records in the governance table: incidents, their per-model lock,
 * approvals and the candidate task. Every record of the workflow is addressed through these
 * helpers, never by string literals elsewhere; audit events are links of the incident's hash
 * chain, addressed by `evidence/keys.ts`.
 */
export const incidentKeys = {
  incident: (incidentId: string) => ({ pk: `INCIDENT#${incidentId}`, sk: '#INCIDENT' }),
  /** gsi1 of every incident, newest first by `gsi1sk` = `{openedAt}#{incidentId}`. */
  incidentsIndex: 'INCIDENTS',
  incidentsIndexSort: (openedAt: string, incidentId: string) => `${openedAt}#${incidentId}`,
  /**
   * At most one open incident per model and kind: this item exists while one is open. A breach
   * keeps the key it had before incidents had kinds, so locks already held stay valid; the other
   * kinds' locks have a partition of their own, so that ingest, which opens `unapproved_version`
   * incidents, writes no `MODEL#` item.
   */
  openIncidentLock: (modelId: string, kind: IncidentKind) =>
    kind === 'breach'
      ? { pk: `MODEL#${modelId}`, sk: 'OPEN_INCIDENT' }
      : { pk: `LOCK#${modelId}`, sk: `OPEN_INCIDENT#${kind}` },
  /**
   * Every candidate and every re-validation report of an incident, one item each in time order:
   * kept beside the incident, which holds only the latest of each, so that it stays bounded
   * however many retraining cycles it goes through.
   */
  candidate: (incidentId: string, at: string, suffix: string) => ({
    pk: `INCIDENT#${incidentId}`,
    sk: `CANDIDATE#${at}#${suffix}`,
  }),
  candidatePrefix: 'CANDIDATE#',
  validation: (incidentId: string, at: string, suffix: string) => ({
    pk: `INCIDENT#${incidentId}`,
    sk: `VALIDATION#${at}#${suffix}`,
  }),
  validationPrefix: 'VALIDATION#',
  incidentPartition: (incidentId: string) => `INCIDENT#${incidentId}`,
  /** How many candidates and approvals the incident has: places taken before each is written (`record-counts.ts`). */
  counts: (incidentId: string) => ({ pk: `INCIDENT#${incidentId}`, sk: '#COUNTS' }),
  /** The task token of the retraining step while it waits for a candidate (server-side only). */
  candidateTask: (incidentId: string) => ({ pk: `INCIDENT#${incidentId}`, sk: '#CANDIDATE_TASK' }),
  /**
   * The task token of a baseline review waiting for a new baseline (server-side only), by model:
   * the registry's baseline PUT finds it there. Its own partition, which no scoped function reads.
   */
  baselineTask: (modelId: string) => ({ pk: `BASELINE_TASK#${modelId}`, sk: '#BASELINE_TASK' }),
  /** The task token of the revert step while it waits for production to be restored (server-side only). */
  revertTask: (incidentId: string) => ({ pk: `INCIDENT#${incidentId}`, sk: '#REVERT_TASK' }),
  approval: (approvalId: string) => ({ pk: `APPROVAL#${approvalId}`, sk: '#APPROVAL' }),
  /** gsi1 of an incident's approvals, in request order by `gsi1sk` = `{requestedAt}#{approvalId}`. */
  approvalsIndex: (incidentId: string) => `INCIDENT#${incidentId}#APPROVALS`,
  approvalsIndexSort: (requestedAt: string, approvalId: string) => `${requestedAt}#${approvalId}`,
} as const;
