import { getIncident, readOpenIncidentLock } from '../incidents/store.ts';
import type { IncidentRecord } from '../incidents/types.ts';
import type { ModelRecord } from '../registry/store.ts';
import { breachEvents } from '../webhooks/emit.ts';
import { publishEvents } from '../webhooks/publish.ts';
import { rarePaths } from './first-use.ts';
import { type EvaluationRecord, recordOutcome } from './store.ts';

export interface BreachOutcome {
  /** Consecutive breaching windows so far. */
  readonly streak: number;
  readonly incident?: IncidentRecord;
  /** True when this evaluation opened the incident (and alerted). */
  readonly opened: boolean;
}

/**
 * Opening an incident, its alert and the workflow's repair (`breach-incident.ts`): loaded on
 * first use (once per execution environment), since most evaluations breach nothing.
 */
const breachIncident = rarePaths;

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
    ({ incident, opened } = await (await breachIncident()).openBreachIncident(model, evaluation));
  } else {
    const lock = await readOpenIncidentLock(model.modelId);
    if (lock) incident = await getIncident(lock.incidentId);
  }
  if (incident?.status === 'open' && !incident.executionArn)
    incident = await (await breachIncident()).ensureWorkflowStarted(incident);
  await publishEvents(breachEvents(model, evaluation, incident, opened));
  return { streak, ...(incident ? { incident } : {}), opened };
}
