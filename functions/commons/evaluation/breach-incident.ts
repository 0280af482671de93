import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics } from '#powertools/metrics';
import { tellMlopsUnreachable, unreachableRoles } from '../delivery/unreachable.ts';
import { openIncident } from '../incidents/open.ts';
import type { IncidentRecord } from '../incidents/types.ts';
import { notifier, uniqueRecipients } from '../notifier/index.ts';
import type { ModelRecord } from '../registry/store.ts';
import { VIEW_LINK_SECONDS, viewLink } from '../views/links.ts';
import { type EvaluationRecord, setEvaluationIncident } from './store.ts';

/**
 * What a breach that completes its run brings, loaded on the first such breach of an execution
 * environment (`await import(...)` from `breach.ts`), not at a cold start: opening the incident,
 * the monitoring alert with its signed view links, and the check for roles the alert cannot
 * reach. Most evaluations breach nothing.
 */

export { ensureWorkflowStarted } from '../incidents/open.ts';

function publicUrl(): string {
  return (process.env.PUBLIC_URL ?? '').replace(/\/+$/, '');
}

/**
 * Opens the model's incident for a breach evaluation, or attaches the evaluation to the one
 * already open; for a new incident, alerts the Data Science Lead and the Dev team, one email
 * each, and tells MLOps about a role of the two with no confirmed address.
 */
export async function openBreachIncident(
  model: ModelRecord,
  evaluation: EvaluationRecord,
): Promise<{ incident: IncidentRecord; opened: boolean }> {
  const { incident, created: opened } = await openIncident({
    modelId: model.modelId,
    version: model.productionVersion ?? 'unversioned',
    evaluationId: evaluation.evaluationId,
    reasons: evaluation.reasons,
  });
  await setEvaluationIncident(evaluation.evaluationId, incident.incidentId);
  if (opened) {
    metrics.addMetric('IncidentsOpened', MetricUnit.Count, 1);
    await alert(model, evaluation, incident);
    await tellMlopsUnreachable({
      model,
      incident,
      what: 'the monitoring alert',
      unreachable: await unreachableRoles(model, ['dataScienceLead', 'devTeam']),
    });
  }
  return { incident, opened };
}

/**
 * The monitoring alert: one email per person (Data Science Lead and Dev team), each with links
 * signed for them alone to the incident's page and the evaluation's report, which open in a
 * browser without an API key.
 */
async function alert(
  model: ModelRecord,
  evaluation: EvaluationRecord,
  incident: IncidentRecord,
): Promise<void> {
  const recipients = uniqueRecipients([...model.approvers.dataScienceLead, ...model.approvers.devTeam]);
  for (const recipient of recipients) {
    const links = publicUrl()
      ? [
          await viewLink({ kind: 'incident', id: incident.incidentId }, recipient),
          await viewLink({ kind: 'evaluation', id: evaluation.evaluationId }, recipient),
        ]
      : [];
    await notifier().send({
      to: [recipient],
      subject: `[Vigil] ${model.name} (${model.modelId}): monitoring alert, incident ${incident.incidentId}`,
      text: [
        `The scheduled evaluation of ${model.name} (${model.modelId}, version ${model.productionVersion ?? 'unversioned'}) breached its thresholds`,
        `over ${evaluation.windowStart} – ${evaluation.windowEnd} (${evaluation.samples} predictions):`,
        '',
        ...evaluation.reasons.map((reason) => `- ${reason}`),
        '',
        `Incident ${incident.incidentId} is open. The Data Science Lead receives a separate request to investigate it.`,
        ...(links.length
          ? [
              '',
              `The incident (read-only): ${links[0]}`,
              `The evaluation report: ${links[1]}`,
              `These links are yours alone; they open in a browser for ${VIEW_LINK_SECONDS / 86400} days.`,
            ]
          : []),
      ].join('\n'),
      links,
    });
  }
}
