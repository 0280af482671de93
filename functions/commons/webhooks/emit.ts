import type { EvaluationRecord } from '../evaluation/store.ts';
import type { IncidentRecord, Promotion, Rollback } from '../incidents/types.ts';
import type { ModelRecord } from '../registry/store.ts';
import type { PublishedEvent } from './publish.ts';

/**
 * The data of each webhook event, from the records it reports: identifiers, states, versions
 * and reasons; never a link signature, a token or a key. Receivers fetch more through the API
 * (the `links` added at delivery).
 */

/** `evaluation.breach` for a breaching evaluation (and its incident); `incident.opened` too when it opened it. */
export function breachEvents(
  model: Pick<ModelRecord, 'modelId' | 'name' | 'productionVersion'>,
  evaluation: EvaluationRecord,
  incident: IncidentRecord | undefined,
  opened: boolean,
): PublishedEvent[] {
  if (evaluation.status !== 'breach') return [];
  const events: PublishedEvent[] = [
    {
      type: 'evaluation.breach',
      data: {
        modelId: model.modelId,
        modelName: model.name,
        evaluationId: evaluation.evaluationId,
        productionVersion: evaluation.productionVersion,
        windowStart: evaluation.windowStart,
        windowEnd: evaluation.windowEnd,
        samples: evaluation.samples,
        reasons: evaluation.reasons,
        ...(incident ? { incidentId: incident.incidentId } : {}),
      },
    },
  ];
  if (opened && incident) events.push({ type: 'incident.opened', data: incidentData(incident, model.name) });
  return events;
}

/** What every incident event says of its incident. */
export function incidentData(incident: IncidentRecord, modelName?: string): Record<string, unknown> {
  return {
    incidentId: incident.incidentId,
    kind: incident.kind,
    modelId: incident.modelId,
    ...(modelName ? { modelName } : {}),
    version: incident.version,
    evaluationId: incident.evaluationId,
    reasons: incident.reasons,
    openedAt: incident.openedAt,
  };
}

export function stepWaitingEvent(
  incident: IncidentRecord,
  step: { readonly step: string; readonly kind: string; readonly title: string },
  roles: readonly string[],
  expiresAt: string,
): PublishedEvent {
  return {
    type: 'incident.step_waiting',
    data: {
      incidentId: incident.incidentId,
      modelId: incident.modelId,
      step: step.step,
      kind: step.kind,
      title: step.title,
      roles,
      expiresAt,
    },
  };
}

export function decidedEvent(decision: {
  readonly incidentId: string;
  readonly modelId: string;
  readonly step: string;
  readonly decision: string;
  readonly comment: string;
  readonly decidedBy: string;
  readonly decidedAt: string;
}): PublishedEvent {
  return { type: 'incident.decided', data: { ...decision } };
}

export function closedEvent(incident: IncidentRecord, status: string): PublishedEvent {
  return {
    type: 'incident.closed',
    data: {
      incidentId: incident.incidentId,
      modelId: incident.modelId,
      status,
      closedAt: incident.closedAt,
      timeToResolutionSeconds: incident.timeToResolutionSeconds,
      retrainingCycles: incident.retrainingCycles,
    },
  };
}

export function promotedEvent(incident: IncidentRecord, promotion: Promotion): PublishedEvent {
  return {
    type: 'model.promoted',
    data: { modelId: incident.modelId, incidentId: incident.incidentId, ...promotion },
  };
}

export function rolledBackEvent(
  incident: IncidentRecord,
  rollback: Rollback,
  decidedBy: string,
): PublishedEvent {
  return {
    type: 'model.rolled_back',
    data: { modelId: incident.modelId, incidentId: incident.incidentId, ...rollback, decidedBy },
  };
}
