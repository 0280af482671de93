import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics } from '#powertools/metrics';
import { tellMlopsUnreachable, unreachableRoles } from '../delivery/unreachable.ts';
import { ensureWorkflowStarted, openIncident } from '../incidents/open.ts';
import { getIncident, readOpenIncidentLock } from '../incidents/store.ts';
import type { IncidentRecord } from '../incidents/types.ts';
import { notifier, uniqueRecipients } from '../notifier/index.ts';
import type { ModelRecord } from '../registry/store.ts';
import { VIEW_LINK_SECONDS, viewLink } from '../views/links.ts';
import { breachEvents } from '../webhooks/emit.ts';
import { publishEvents } from '../webhooks/publish.ts';
import { type EvaluationRecord, recordOutcome, setEvaluationIncident } from './store.ts';

export interface BreachOutcome {
  /** Consecutive breaching windows so far. */
  readonly streak: number;
  readonly incident?: IncidentRecord;
  /** True when this evaluation opened the incident (and alerted). */
  readonly opened: boolean;
}

function publicUrl(): string {
  return (process.env.PUBLIC_URL ?? '').replace(/\/+$/, '');
}

/**
 * What follows an evaluation (SOP 6.2.3):
 * 1. count the run of breaching windows (`thresholds.consecutiveBreaches` asks for that many),
 *    each window once however often it is evaluated;
 * 2. on a breach that completes the run, open the model's incident — or attach the evaluation to
 *    the one already open — and, for a new incident, alert the Data Science Lead and the Dev
 *    team, one email each, with the reasons (and MLOps at once about a role of the two with no
 *    confirmed address, whom the alert did not reach);
 * 3. start the incident's workflow if it has not started: this also repairs a crash between
 *    writing an incident and starting its execution, on the model's next evaluation.
 */
export async function afterEvaluation(
  model: ModelRecord,
  evaluation: EvaluationRecord,
): Promise<BreachOutcome> {
  const streak = await recordOutcome(model.modelId, evaluation.status, evaluation.windowEnd);
  let incident: IncidentRecord | undefined;
  let opened = false;

  if (evaluation.status === 'breach' && streak >= model.thresholds.consecutiveBreaches) {
    const result = await openIncident({
      modelId: model.modelId,
      version: model.productionVersion ?? 'unversioned',
      evaluationId: evaluation.evaluationId,
      reasons: evaluation.reasons,
    });
    incident = result.incident;
    opened = result.created;
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
  } else {
    const lock = await readOpenIncidentLock(model.modelId);
    if (lock) incident = await getIncident(lock.incidentId);
  }
  if (incident?.status === 'open' && !incident.executionArn) incident = await ensureWorkflowStarted(incident);
  await publishEvents(breachEvents(model, evaluation, incident, opened));
  return { streak, ...(incident ? { incident } : {}), opened };
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
