import { machineFor, workflow } from '#commons/workflow/index';
import { appendAudit } from './audit.ts';
import { getEvaluation } from './evaluations.ts';
import {
  acquireOpenIncidentLock,
  attachEvaluation,
  getIncident,
  newIncidentId,
  putNewIncident,
  readOpenIncidentLock,
  releaseOpenIncidentLock,
  updateIncident,
} from './store.ts';
import type { IncidentKind, IncidentRecord } from './types.ts';

interface IncidentInputBase {
  readonly modelId: string;
  /** Production version of the model when it opens. */
  readonly version: string;
  readonly reasons: readonly string[];
}

/** A breach: opened, or joined, by a breach evaluation. */
export interface BreachIncidentInput extends IncidentInputBase {
  readonly kind?: 'breach';
  /** The breach evaluation. */
  readonly evaluationId: string;
}

/** An incident of another kind: what opened it is in `details` (bounded by the caller). */
export interface OtherIncidentInput extends IncidentInputBase {
  readonly kind: Exclude<IncidentKind, 'breach'>;
  readonly details: Record<string, unknown>;
  /** Who opened it, for the audit trail (`vigil` by default). */
  readonly actor?: string;
}

export type OpenIncidentInput = BreachIncidentInput | OtherIncidentInput;

function isBreach(input: OpenIncidentInput): input is BreachIncidentInput {
  return input.kind === undefined || input.kind === 'breach';
}

/**
 * Opens an incident of a kind (`breach` by default); a model has at most one open incident of
 * each kind.
 * 1. Take the model's open-incident lock of that kind for a new incident id (a conditional put).
 * 2. If another incident holds it, return that one with `created: false`; a breach evaluation is
 *    attached to it (once) first. A lock whose incident was never written (a crash in between)
 *    gets its incident written now; a lock left by a closed incident is released and taken again.
 * 3. Write the incident (`open`, step `opened`) and its first audit event.
 * Starting the workflow is a separate, idempotent step: `ensureWorkflowStarted`.
 */
export async function openIncident(
  input: OpenIncidentInput,
): Promise<{ incident: IncidentRecord; created: boolean }> {
  const kind = input.kind ?? 'breach';
  for (let attempt = 0; attempt < 3; attempt++) {
    const incidentId = newIncidentId();
    const openedAt = new Date().toISOString();
    if (await acquireOpenIncidentLock(input.modelId, incidentId, openedAt, kind)) {
      return { incident: await writeIncident(incidentId, openedAt, input), created: true };
    }
    const lock = await readOpenIncidentLock(input.modelId, kind);
    if (!lock) continue; // released in between: try again
    const existing = await getIncident(lock.incidentId);
    if (!existing) {
      return { incident: await writeIncident(lock.incidentId, lock.openedAt, input), created: true };
    }
    if (existing.status !== 'open') {
      await releaseOpenIncidentLock(input.modelId, existing.incidentId, kind);
      continue;
    }
    if (!isBreach(input)) return { incident: existing, created: false };
    const attached = await attachEvaluation(existing.incidentId, input.evaluationId);
    if (attached) {
      await appendAudit(existing.incidentId, {
        type: 'evaluation.attached',
        actor: 'evaluation',
        details: {
          evaluationId: input.evaluationId,
          reasons: input.reasons,
          evaluation: await getEvaluation(input.evaluationId),
          ...(attached === 'unlisted' ? { listed: false } : {}),
        },
      });
    }
    return { incident: (await getIncident(existing.incidentId)) ?? existing, created: false };
  }
  throw new Error(`Could not open a ${kind} incident for model ${input.modelId}: its lock kept changing`);
}

async function writeIncident(
  incidentId: string,
  openedAt: string,
  input: OpenIncidentInput,
): Promise<IncidentRecord> {
  const incident: IncidentRecord = {
    incidentId,
    modelId: input.modelId,
    kind: input.kind ?? 'breach',
    version: input.version,
    ...(isBreach(input)
      ? { evaluationId: input.evaluationId, evaluations: [input.evaluationId] }
      : { evaluations: [], details: input.details }),
    reasons: [...input.reasons],
    status: 'open',
    currentStep: 'opened',
    history: [{ step: 'opened', event: 'entered', at: openedAt }],
    openedAt,
    updatedAt: openedAt,
    retrainingCycles: 0,
  };
  if (!(await putNewIncident(incident))) {
    // Written concurrently by another caller repairing the same lock.
    return (await getIncident(incidentId)) ?? incident;
  }
  await appendAudit(incidentId, {
    at: openedAt,
    type: 'incident.opened',
    actor: isBreach(input) ? 'evaluation' : (input.actor ?? 'vigil'),
    details: isBreach(input)
      ? {
          modelId: input.modelId,
          version: input.version,
          evaluationId: input.evaluationId,
          reasons: input.reasons,
          // The evaluation itself, as evidence in the incident's hash chain.
          evaluation: await getEvaluation(input.evaluationId),
        }
      : {
          modelId: input.modelId,
          kind: input.kind,
          version: input.version,
          reasons: input.reasons,
          ...input.details,
        },
  });
  return incident;
}

/**
 * Starts the governance workflow of an open incident, once: the execution is named after the
 * incident, so a second start (a retry, or the next evaluation repairing a crash between opening
 * the incident and starting it) finds it started. Records the execution ARN on the incident.
 */
export async function ensureWorkflowStarted(incident: IncidentRecord): Promise<IncidentRecord> {
  if (incident.status !== 'open' || incident.executionArn) return incident;
  // The state machine of the incident's kind: the baseline review has its own.
  const { executionArn, started } = await workflow().startExecution(
    incident.incidentId,
    { incidentId: incident.incidentId, modelId: incident.modelId, kind: incident.kind },
    machineFor(incident.kind),
  );
  const updated = await updateIncident(incident.incidentId, { set: { executionArn }, whileOpen: false });
  if (started) {
    await appendAudit(incident.incidentId, {
      type: 'workflow.started',
      actor: 'workflow',
      details: { executionArn },
    });
  }
  return updated;
}
