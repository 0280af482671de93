import { lapseCutoff, requestLapsed } from '#commons/approvals/lapse';
import { HttpError } from '#commons/http';
import { TaskNotWaitingError, workflow } from '#commons/workflow/index';
import { logger } from '#powertools/logger';
import { readableError } from '#powertools/readable-error';
import { appendAudit } from '../incidents/audit.ts';
import type { RequestOrigin } from '../incidents/origin.ts';
import { getIncident, IncidentNotOpenError, updateIncident } from '../incidents/store.ts';
import { recordStep } from '../incidents/track.ts';
import type { BaselineReview, IncidentRecord } from '../incidents/types.ts';
import { restoreIncidentField, surelyNotTaken, withdrawBaseline } from '../incidents/withdraw.ts';
import { type BaselineInput, type BaselineRecord, putBaseline } from '../registry/baselines.ts';
import type { ModelRecord } from '../registry/store.ts';
import { type BaselineTask, getBaselineTask, restoreBaselineTask, takeBaselineTask } from './store.ts';

/** The body the PUT accepts. */
export { baselineSchema } from '../telemetry/records.ts';

/**
 * The registry's baseline PUT: a baseline fitted, or handed to the baseline review that waits for
 * it. A module apart from the review's workflow steps: they record decisions and load neither
 * the fitting of profiles nor the resuming of a review.
 */

/** The answer of the registry's baseline PUT: the baseline, and the review it went to, if any. */
export interface PutBaselineOutcome {
  readonly baseline: BaselineRecord;
  /** Whether evaluations compare with it from now on (not yet when a review's QA is to approve it). */
  readonly inUse: boolean;
  /** The baseline review that waited for it. */
  readonly reviewIncidentId?: string;
}

/** The open baseline review a task belongs to, if it is still open. */
async function openReviewOf(
  task: BaselineTask,
): Promise<{ incident: IncidentRecord; review: BaselineReview } | undefined> {
  const incident = await getIncident(task.incidentId);
  if (incident?.status !== 'open' || !incident.baselineReview) return undefined;
  return { incident, review: incident.baselineReview };
}

/** The 409 of a baseline put that came after the review stopped waiting for it. */
function stoppedWaiting(incidentId: string, detail: string): HttpError {
  return new HttpError(409, 'conflict', `Baseline review ${incidentId} stopped waiting for a baseline`, [
    { path: 'modelId', message: detail },
  ]);
}

const LAPSED =
  'the request for a new baseline timed out: a reminder asks again, then put it; nothing was stored';

/**
 * Takes the waiting task, starting from `waiting` as read, with the open review it belongs to (none
 * when its review ended without deleting it): one conditional delete, so of two PUTs exactly one
 * resumes the review, and a review's task that lapsed since it was read is not taken (409, nothing
 * written). A reminder that replaced the task meanwhile is taken in its place. Undefined when
 * another PUT took it.
 */
async function takeWaitingTask(
  modelId: string,
  waiting: BaselineTask,
): Promise<{ task: BaselineTask; reviewed: Awaited<ReturnType<typeof openReviewOf>> } | undefined> {
  let task = waiting;
  for (let attempt = 0; attempt < 3; attempt++) {
    const reviewed = await openReviewOf(task);
    if (reviewed && requestLapsed(task)) throw stoppedWaiting(task.incidentId, LAPSED);
    if (await takeBaselineTask(modelId, task, reviewed ? lapseCutoff(task) : undefined))
      return { task, reviewed };
    const now = await getBaselineTask(modelId);
    if (!now) return undefined;
    task = now;
  }
  throw stoppedWaiting(task.incidentId, LAPSED);
}

/**
 * Takes back a baseline the review was refused (`incidents/withdraw.ts`): the review as it was on
 * the incident, the fitted baseline (profiles and record; its number is not used again); the audit
 * trail records `baseline.lapsed` after `baseline.submitted`.
 */
async function withdrawSubmittedBaseline(
  incident: IncidentRecord,
  review: BaselineReview,
  baseline: BaselineRecord,
  actor: string,
  reason: string,
  origin: RequestOrigin,
): Promise<void> {
  await restoreIncidentField(incident.incidentId, 'baselineReview', review, {
    path: ['newBaseline', 'baselineVersion'],
    value: baseline.baselineVersion,
  });
  await withdrawBaseline(incident.modelId, baseline.baselineVersion);
  await appendAudit(incident.incidentId, {
    type: 'baseline.lapsed',
    actor,
    step: 'new_baseline',
    details: { baselineVersion: baseline.baselineVersion, reason },
    ...origin,
  });
}

/**
 * `PUT /v1/models/{id}/baseline`. When a baseline review of the model waits for a new baseline,
 * the waiting task is taken in one conditional delete (of two PUTs exactly one resumes it), the
 * baseline is fitted but not yet used, kept on the incident and in its audit trail, and the
 * review resumes: QA approves it next. Otherwise the baseline is fitted and in use at once.
 * A refused baseline (400) gives the task back. A request that lapsed (its step timed out, or is
 * about to: a reminder follows) answers 409 before anything is written, and so does one that
 * lapses between that check and the take. When the step stops waiting in the moment between the
 * take and the resume (409), or the engine cannot be reached (503, the task given back), the
 * fitted baseline and the review's record of it are taken back: nothing of the PUT is kept.
 */
export async function putBaselineOrResumeReview(
  model: ModelRecord,
  input: BaselineInput,
  actor: string,
  origin: RequestOrigin,
): Promise<PutBaselineOutcome> {
  const waiting = await getBaselineTask(model.modelId);
  const taken = waiting && (await takeWaitingTask(model.modelId, waiting));
  if (!taken) return { baseline: await putBaseline(model, input), inUse: true };
  const { task, reviewed } = taken;
  // Without an open review (it ended without deleting its task), the baseline is in use at once.
  const { incident, review } = reviewed ?? {};
  let baseline: BaselineRecord;
  try {
    baseline = await putBaseline(model, input, { use: !review });
  } catch (error) {
    await restoreBaselineTask(model.modelId, task);
    throw error;
  }
  if (!incident || !review) return { baseline, inUse: true };
  const at = new Date().toISOString();
  const newBaseline: NonNullable<BaselineReview['newBaseline']> = {
    baselineVersion: baseline.baselineVersion,
    createdAt: baseline.createdAt,
    records: baseline.records,
    metrics: baseline.metrics,
    submittedBy: actor,
  };
  try {
    await updateIncident(incident.incidentId, {
      set: { baselineReview: { ...review, newBaseline } satisfies BaselineReview },
    });
    await appendAudit(incident.incidentId, {
      at,
      type: 'baseline.submitted',
      actor,
      step: 'new_baseline',
      details: { ...newBaseline, columns: baseline.columns },
      ...origin,
    });
    await workflow().sendTaskSuccess(task.taskToken, {
      decision: 'submitted',
      baselineVersion: baseline.baselineVersion,
      decidedBy: actor,
      decidedAt: at,
    });
  } catch (error) {
    // The step stopped waiting (it timed out, or the review ended), or a passing failure.
    const stopped = error instanceof TaskNotWaitingError || error instanceof IncidentNotOpenError;
    if (error instanceof TaskNotWaitingError && !(await surelyNotTaken(incident.incidentId, task))) {
      logger.warn('baseline refused by a step that had not lapsed: kept', {
        incidentId: incident.incidentId,
      });
      throw stoppedWaiting(
        incident.incidentId,
        `the request no longer waits; baseline ${baseline.baselineVersion} is kept unused`,
      );
    }
    await withdrawSubmittedBaseline(
      incident,
      review,
      baseline,
      actor,
      stopped ? 'the request for a new baseline stopped waiting' : 'the baseline could not be passed on',
      origin,
    );
    if (stopped) {
      throw stoppedWaiting(
        incident.incidentId,
        'the request timed out just now (a reminder follows) or the review ended; nothing was kept',
      );
    }
    await restoreBaselineTask(model.modelId, task);
    logger.warn('passing a baseline on failed', {
      incidentId: incident.incidentId,
      error: await readableError(error),
    });
    throw new HttpError(
      503,
      'unavailable',
      `Vigil could not pass the baseline of ${model.modelId} on just now`,
      [{ path: 'modelId', message: 'nothing was kept; put the baseline again' }],
    );
  }
  await recordStep(incident.incidentId, {
    step: 'new_baseline',
    at,
    left: { outcome: `baseline ${baseline.baselineVersion}`, by: actor },
    ...origin,
  });
  return { baseline, inUse: false, reviewIncidentId: incident.incidentId };
}
