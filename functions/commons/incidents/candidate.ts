import semverLte from 'semver/functions/lte.js';
import { type Principal, requireModelAccess } from '#commons/api/principal';
import { lapseCutoff, requestLapsed } from '#commons/approvals/lapse';
import { HttpError } from '#commons/http';
import { addVersion, loadModel } from '#commons/registry/store';
import { TaskNotWaitingError, workflow } from '#commons/workflow/index';
import { logger } from '#powertools/logger';
import { readableError } from '#powertools/readable-error';
import { appendAudit } from './audit.ts';
import { giveRecordPlaceBack, takeRecordPlace } from './record-counts.ts';
import { INCIDENT_RECORD_LIMITS } from './record-limits.ts';
import type { CandidateInput } from './schema.ts';
import {
  addIncidentRecord,
  type CandidateTask,
  getCandidateTask,
  IncidentNotOpenError,
  loadIncident,
  restoreCandidateTask,
  takeCandidateTask,
  updateIncident,
} from './store.ts';
import { recordStep } from './track.ts';
import type { Candidate, IncidentRecord } from './types.ts';
import { deleteSubmittedItem, restoreIncidentField, surelyNotTaken, withdrawVersion } from './withdraw.ts';

function principalLabel(principal: Principal): string {
  return principal.kind === 'admin' ? 'admin' : `model:${principal.keyId}`;
}

/** The 409 of a candidate past the incident's bound: nothing of it is written. */
function candidateLimit(incidentId: string): HttpError {
  const most = INCIDENT_RECORD_LIMITS.candidates;
  return new HttpError(409, 'limit_reached', `Incident ${incidentId} keeps at most ${most} candidates`, [
    {
      path: 'incidentId',
      message: `the incident has ${most} candidates: another is refused; nothing was stored`,
    },
  ]);
}

/** The 409 of a candidate that came after its request lapsed: nothing of it is written. */
function lapsedRequest(incidentId: string): HttpError {
  return new HttpError(409, 'conflict', `Incident ${incidentId} stopped waiting for a candidate`, [
    {
      path: 'incidentId',
      message:
        'the request for a candidate timed out: a reminder asks again, then post it; nothing was stored',
    },
  ]);
}

/**
 * Takes the waiting task, starting from `waiting` as read: one conditional delete, so of two
 * submissions exactly one goes on, and a task that lapsed since it was read is not taken (409,
 * nothing written). A reminder that replaced the task meanwhile is taken in its place.
 */
async function takeWaitingTask(incidentId: string, waiting: CandidateTask): Promise<CandidateTask> {
  let task = waiting;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (requestLapsed(task)) throw lapsedRequest(incidentId);
    if (await takeCandidateTask(incidentId, task, lapseCutoff(task))) return task;
    const now = await getCandidateTask(incidentId);
    if (!now) {
      throw new HttpError(409, 'conflict', `Incident ${incidentId} received another candidate just now`, [
        { path: 'version', message: 'another submission was first' },
      ]);
    }
    task = now;
  }
  throw lapsedRequest(incidentId);
}

/** What a submission stored before it resumed the workflow, so that a refused resume can take it back. */
interface Stored {
  readonly candidate: Candidate;
  readonly previous: Candidate | undefined;
  readonly versionCreatedAt: string;
  readonly madeProduction: boolean;
  readonly record?: { pk: string; sk: string };
}

/**
 * Takes back what a submission stored when the workflow refused it (`withdraw.ts`): the version
 * it registered, the candidate on the incident (the previous one again) and its record; the audit
 * trail records `candidate.lapsed` after `candidate.submitted`.
 */
async function withdrawCandidate(
  incident: IncidentRecord,
  stored: Stored,
  reason: string,
  origin: { readonly sourceIp?: string; readonly userAgent?: string },
): Promise<void> {
  const { candidate } = stored;
  await restoreIncidentField(incident.incidentId, 'candidate', stored.previous, {
    path: ['submittedAt'],
    value: candidate.submittedAt,
  });
  if (stored.record) await deleteSubmittedItem(stored.record);
  await withdrawVersion(incident.modelId, candidate.version, stored.versionCreatedAt, stored.madeProduction);
  await appendAudit(incident.incidentId, {
    type: 'candidate.lapsed',
    actor: candidate.submittedBy,
    step: 'retraining',
    details: { version: candidate.version, reason },
    ...origin,
  });
}

/**
 * Accepts the candidate of an incident waiting in its retraining step (SOP 6.4).
 * 1. The caller is the admin or holds a key of the incident's model (403).
 * 2. The incident is open and waits for a candidate (409), and the version is a semantic version
 *    greater than production's (400).
 * 3. The request has not lapsed (its step timed out, or is about to: a reminder asks again): 409
 *    before anything is written.
 * 3a. The incident has a place for one more candidate (`record-counts.ts`: 200 at most, a
 *    conditional increment): 409 `limit_reached` naming `incidentId` otherwise, before anything is
 *    written. A submission that keeps nothing (any refusal below) gives its place back.
 * 4. The waiting task is taken in one conditional delete, which refuses a task that lapsed since
 *    the check: of two submissions exactly one goes on (409); that one registers its version, new
 *    to the registry (409, and the task is given back).
 * 5. The candidate is kept on the incident and in the audit trail (who, address, agent), then the
 *    workflow resumes with it: re-validation follows. A task that stopped waiting in the moment
 *    since the take answers 409, and an engine that cannot be reached 503 (the task given back):
 *    either way the version, the candidate and its record are taken back, so nothing of a refused
 *    submission is kept and the same candidate may be posted again.
 */
export async function submitCandidate(
  incidentId: string,
  input: CandidateInput,
  principal: Principal,
  origin: { readonly sourceIp?: string; readonly userAgent?: string },
): Promise<{ incident: IncidentRecord; candidate: Candidate }> {
  const incident = await loadIncident(incidentId);
  requireModelAccess(principal, incident.modelId, 'candidate');
  if (incident.status !== 'open') {
    throw new HttpError(409, 'conflict', `Incident ${incidentId} is ${incident.status}`, [
      { path: 'incidentId', message: 'the incident is closed' },
    ]);
  }
  const waiting = await getCandidateTask(incidentId);
  if (!waiting) {
    throw new HttpError(409, 'conflict', `Incident ${incidentId} does not wait for a candidate now`, [
      { path: 'incidentId', message: `the current step is ${incident.currentStep}` },
    ]);
  }
  if (requestLapsed(waiting)) throw lapsedRequest(incidentId);
  const model = await loadModel(incident.modelId);
  const production = model.productionVersion ?? incident.version;
  if (semverLte(input.version, production)) {
    throw new HttpError(400, 'invalid_request', 'The candidate must be newer than production', [
      { path: 'version', message: `must be a semantic version greater than production's ${production}` },
    ]);
  }
  // A place among the incident's candidates first: a 201st is refused before anything is written,
  // and a submission that keeps nothing gives its place back.
  if (!(await takeRecordPlace(incidentId, 'candidates'))) throw candidateLimit(incidentId);
  let kept = false;
  try {
    const task = await takeWaitingTask(incidentId, waiting);
    // Only the submission that took the task registers its version; a refused one gives the task back.
    let version: Awaited<ReturnType<typeof addVersion>>;
    try {
      version = await addVersion(model.modelId, {
        version: input.version,
        artifactUri: input.artifactUri,
        metrics: input.metrics,
        notes: input.notes,
      });
    } catch (error) {
      await restoreCandidateTask(incidentId, task);
      throw error;
    }
    const candidate: Candidate = {
      ...input,
      productionVersion: production,
      cycle: task.cycle,
      submittedAt: new Date().toISOString(),
      submittedBy: principalLabel(principal),
    };
    let stored: Stored = {
      candidate,
      previous: incident.candidate,
      versionCreatedAt: version.createdAt,
      madeProduction: model.productionVersion === undefined,
    };
    let updated: IncidentRecord;
    try {
      updated = await updateIncident(incidentId, { set: { candidate } });
      const record = await addIncidentRecord(incidentId, 'candidate', candidate.submittedAt, candidate);
      stored = { ...stored, record };
      await appendAudit(incidentId, {
        at: candidate.submittedAt,
        type: 'candidate.submitted',
        actor: candidate.submittedBy,
        step: 'retraining',
        details: { ...candidate },
        ...origin,
      });
      await workflow().sendTaskSuccess(task.taskToken, {
        decision: 'submitted',
        version: candidate.version,
        scopeChanged: candidate.scopeChanged,
        decidedBy: candidate.submittedBy,
        decidedAt: candidate.submittedAt,
      });
    } catch (error) {
      // The step stopped waiting (it timed out, or the incident ended), or a passing failure.
      const stopped = error instanceof TaskNotWaitingError || error instanceof IncidentNotOpenError;
      if (error instanceof TaskNotWaitingError && !(await surelyNotTaken(incidentId, task))) {
        logger.warn('candidate refused by a step that had not lapsed: kept', { incidentId });
        kept = true;
        throw new HttpError(409, 'conflict', `Incident ${incidentId} stopped waiting for a candidate`, [
          {
            path: 'incidentId',
            message: 'the retraining step no longer waits; the candidate is kept as submitted',
          },
        ]);
      }
      // The place stays taken until the record is surely gone: a count errs high, never low.
      kept = true;
      await withdrawCandidate(
        incident,
        stored,
        stopped ? 'the retraining step stopped waiting' : 'the candidate could not be passed on',
        origin,
      );
      kept = false;
      if (stopped) {
        throw new HttpError(409, 'conflict', `Incident ${incidentId} stopped waiting for a candidate`, [
          {
            path: 'incidentId',
            message:
              'the retraining step timed out just now (a reminder asks again) or the incident ended; nothing was kept',
          },
        ]);
      }
      await restoreCandidateTask(incidentId, task);
      logger.warn('passing a candidate on failed', { incidentId, error: await readableError(error) });
      throw new HttpError(
        503,
        'unavailable',
        `Vigil could not pass the candidate of incident ${incidentId} on just now`,
        [{ path: 'incidentId', message: 'nothing was kept; post the candidate again' }],
      );
    }
    // Passed on: the candidate is kept whatever follows.
    kept = true;
    await recordStep(incidentId, {
      step: 'retraining',
      at: candidate.submittedAt,
      left: { outcome: `candidate ${candidate.version}`, by: candidate.submittedBy },
      ...origin,
    });
    return { incident: updated, candidate };
  } finally {
    if (!kept) await giveRecordPlaceBack(incidentId, 'candidates');
  }
}
