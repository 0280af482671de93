import { appendAudit } from './audit.ts';
import { type IncidentChanges, updateIncident } from './store.ts';
import type { HistoryEntry, IncidentRecord } from './types.ts';

export interface StepRecord {
  readonly step: string;
  /** Record that the step begins (it becomes the current step). */
  readonly entered?: boolean;
  /** Record that the step ends, how and by whom. */
  readonly left?: { readonly outcome: string; readonly by?: string };
  /** Other changes to the incident, made in the same update. */
  readonly changes?: IncidentChanges;
  /** Who to name in the audit trail (`workflow` by default) and what else to keep there. */
  readonly actor?: string;
  readonly details?: Record<string, unknown>;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  /** When it happened, if not now: a decision is recorded after the workflow resumed, at its own time. */
  readonly at?: string;
}

/**
 * Records a step of the workflow on the incident: its history and current step in one update,
 * then the same in the append-only audit trail.
 */
export async function recordStep(incidentId: string, record: StepRecord): Promise<IncidentRecord> {
  const at = record.at ?? new Date().toISOString();
  const history: HistoryEntry[] = [];
  if (record.entered) history.push({ step: record.step, event: 'entered', at });
  if (record.left) {
    history.push({
      step: record.step,
      event: 'left',
      at,
      outcome: record.left.outcome,
      ...(record.left.by ? { by: record.left.by } : {}),
    });
  }
  const incident = await updateIncident(incidentId, {
    ...record.changes,
    set: { ...record.changes?.set, ...(record.entered ? { currentStep: record.step } : {}) },
    history: [...(record.changes?.history ?? []), ...history],
  });
  const actor = record.actor ?? 'workflow';
  const context = {
    ...(record.sourceIp ? { sourceIp: record.sourceIp } : {}),
    ...(record.userAgent ? { userAgent: record.userAgent } : {}),
  };
  if (record.entered) {
    await appendAudit(incidentId, { at, type: 'step.entered', actor, step: record.step, ...context });
  }
  if (record.left) {
    await appendAudit(incidentId, {
      at,
      type: 'step.left',
      actor: record.left.by ?? actor,
      step: record.step,
      details: { outcome: record.left.outcome, ...record.details },
      ...context,
    });
  }
  return incident;
}
