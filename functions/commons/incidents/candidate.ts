import semverLte from 'semver/functions/lte.js';
import { type Principal, requireModelAccess } from '#commons/api/principal';
import { requestLapsed } from '#commons/approvals/lapse';
import { HttpError } from '#commons/http';
import { addVersion, loadModel } from '#commons/registry/store';
import { TaskNotWaitingError, workflow } from '#commons/workflow/index';
import { appendAudit } from './audit.ts';
import type { CandidateInput } from './schema.ts';
import {
  addIncidentRecord,
  getCandidateTask,
  loadIncident,
  restoreCandidateTask,
  takeCandidateTask,
  updateIncident,
} from './store.ts';
import { recordStep } from './track.ts';
import type { Candidate, IncidentRecord } from './types.ts';

function principalLabel(principal: Principal): string {
  return principal.kind === 'admin' ? 'admin' : `model:${principal.keyId}`;
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
 * Accepts the candidate of an incident waiting in its retraining step (SOP 6.4).
 * 1. The caller is the admin or holds a key of the incident's model (403).
 * 2. The incident is open and waits for a candidate (409), and the version is a semantic version
 *    greater than production's (400).
 * 3. The request has not lapsed (its step timed out, or is about to: a reminder asks again): 409
 *    before anything is written.
 * 4. The waiting task is taken in one atomic delete: of two submissions exactly one goes on (409);
 *    that one registers its version, new to the registry (409, and the task is given back).
 * 5. The candidate is kept on the incident and in the audit trail (who, address, agent), then the
 *    workflow resumes with it: re-validation follows. A task that stopped waiting in the moment
 *    since the check answers 409, the candidate kept as submitted.
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
  const task = await takeCandidateTask(incidentId);
  if (!task) {
    throw new HttpError(409, 'conflict', `Incident ${incidentId} received another candidate just now`, [
      { path: 'version', message: 'another submission was first' },
    ]);
  }
  if (requestLapsed(task)) {
    await restoreCandidateTask(incidentId, task);
    throw lapsedRequest(incidentId);
  }
  // Only the submission that took the task registers its version; a refused one gives the task back.
  try {
    await addVersion(model.modelId, {
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
  const updated = await updateIncident(incidentId, { set: { candidate } });
  await addIncidentRecord(incidentId, 'candidate', candidate.submittedAt, candidate);
  await appendAudit(incidentId, {
    at: candidate.submittedAt,
    type: 'candidate.submitted',
    actor: candidate.submittedBy,
    step: 'retraining',
    details: { ...candidate },
    ...origin,
  });
  try {
    await workflow().sendTaskSuccess(task.taskToken, {
      decision: 'submitted',
      version: candidate.version,
      scopeChanged: candidate.scopeChanged,
      decidedBy: candidate.submittedBy,
      decidedAt: candidate.submittedAt,
    });
  } catch (error) {
    if (error instanceof TaskNotWaitingError) {
      throw new HttpError(409, 'conflict', `Incident ${incidentId} stopped waiting for a candidate`, [
        { path: 'incidentId', message: 'the retraining step timed out or the incident ended' },
      ]);
    }
    await restoreCandidateTask(incidentId, task);
    throw error;
  }
  await recordStep(incidentId, {
    step: 'retraining',
    at: candidate.submittedAt,
    left: { outcome: `candidate ${candidate.version}`, by: candidate.submittedBy },
    ...origin,
  });
  return { incident: updated, candidate };
}
