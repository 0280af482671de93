import { createHash } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { closePendingApprovals } from '#commons/approvals/store';
import { deleteBaselineTask } from '#commons/baseline-review/store';
import { notifier, uniqueRecipients } from '#commons/notifier/index';
import { getModel, getVersion, type ModelRecord, setProductionVersion } from '#commons/registry/store';
import { closedEvent, promotedEvent, rolledBackEvent } from '#commons/webhooks/emit';
import { publishEvents } from '#commons/webhooks/publish';
import { StepFailedError } from '#commons/workflow/errors';
import { metrics } from '#powertools/metrics';
import { appendAudit } from './audit.ts';
import { endedIndexAttributes } from './ended-index.ts';
import { latestEvaluationSince } from './evaluations.ts';
import { bulletList, humanDuration, incidentSummary, modelLabel, signature } from './messages.ts';
import { MAX_REMINDERS } from './reminders.ts';
import { deleteRevertTask, revertTimeoutSeconds } from './revert.ts';
import {
  addIncidentRecord,
  deleteCandidateTask,
  getIncident,
  releaseOpenIncidentLock,
  updateIncident,
} from './store.ts';
import { recordStep } from './track.ts';
import type { ClosedStatus, IncidentRecord, Promotion, Role, Rollback, VerificationCheck } from './types.ts';
import { validateCandidate } from './validation.ts';

export { MAX_REMINDERS } from './reminders.ts';

/** What the whole execution runs with, read once from the model's governance settings. */
export interface WorkflowConfig {
  /** Whole seconds (Step Functions timeouts are integers), at least 1. */
  readonly approvalTimeoutSeconds: number;
  readonly stabilisationSeconds: number;
  readonly maxRetrainingCycles: number;
  readonly maxReminders: number;
}

export function workflowConfig(governance: ModelRecord['governance']): WorkflowConfig {
  return {
    approvalTimeoutSeconds: Math.max(1, Math.round(governance.approvalTimeoutHours * 3600)),
    stabilisationSeconds: governance.stabilisationSeconds,
    maxRetrainingCycles: governance.maxRetrainingCycles,
    maxReminders: MAX_REMINDERS,
  };
}

async function openIncident(incidentId: string): Promise<IncidentRecord> {
  const incident = await getIncident(incidentId);
  if (!incident) throw new StepFailedError(`Incident ${incidentId} does not exist`);
  if (incident.status !== 'open') throw new StepFailedError(`Incident ${incidentId} is ${incident.status}`);
  return incident;
}

async function modelOf(incident: IncidentRecord): Promise<ModelRecord> {
  const model = await getModel(incident.modelId);
  if (!model)
    throw new StepFailedError(
      `Model ${incident.modelId} of incident ${incident.incidentId} is not registered`,
    );
  return model;
}

function emailsOf(model: ModelRecord, roles: readonly Role[]): string[] {
  return uniqueRecipients(roles.flatMap((role) => model.approvers[role]));
}

/**
 * The state the execution starts from: the incident, the model's governance settings (so one
 * execution runs with one set of them), no retraining cycle and no reminder yet.
 */
export async function prepare(incidentId: string) {
  const incident = await openIncident(incidentId);
  const model = await modelOf(incident);
  const config = workflowConfig(model.governance);
  return {
    incidentId,
    modelId: incident.modelId,
    kind: incident.kind,
    config: {
      ...config,
      // The revert step waits long enough for a whole evaluation window to prove it.
      revertTimeoutSeconds: await revertTimeoutSeconds(model, config.approvalTimeoutSeconds, new Date()),
    },
    retraining: { cycles: incident.retrainingCycles },
    answer: { reminders: 0 },
  };
}

/**
 * Automated re-validation of the submitted candidate (SOP 6.4.3):
 * 1. read the candidate, the model's performance thresholds and the metrics of the production
 *    version it would replace;
 * 2. check them (see `validateCandidate`);
 * 3. keep the report on the incident as evidence, and record the step.
 */
export async function revalidate(incidentId: string) {
  const incident = await openIncident(incidentId);
  const candidate = incident.candidate;
  if (!candidate) throw new StepFailedError(`Incident ${incidentId} has no candidate to re-validate`);
  const model = await modelOf(incident);
  await recordStep(incidentId, { step: 'revalidation', entered: true });
  const production = await getVersion(model.modelId, candidate.productionVersion);
  const report = validateCandidate({
    candidate: { version: candidate.version, metrics: candidate.metrics },
    production: { version: candidate.productionVersion, metrics: production?.metrics ?? {} },
    thresholds: model.thresholds.performance,
    checkedAt: new Date().toISOString(),
  });
  // The report is an event of its own in the hash chain: QA's decision names its hash.
  await appendAudit(incidentId, {
    at: report.checkedAt,
    type: 'revalidation.report',
    actor: 'workflow',
    step: 'revalidation',
    details: { candidate, report },
  });
  await recordStep(incidentId, {
    step: 'revalidation',
    left: { outcome: report.passed ? 'passed' : 'failed' },
    changes: { set: { validationReport: report } },
    details: {
      candidateVersion: candidate.version,
      failedChecks: report.checks.filter((check) => !check.passed).map((check) => check.message),
    },
  });
  // One report a candidate (keyed by it): a retried step replaces its report rather than adding
  // one, so an incident has no more reports than candidates (`record-limits.ts`).
  await addIncidentRecord(
    incidentId,
    'validation',
    candidate.submittedAt,
    report,
    createHash('sha256').update(candidate.version).digest('hex').slice(0, 16),
  );
  metrics.addMetric(report.passed ? 'CandidatesPassed' : 'CandidatesFailed', MetricUnit.Count, 1);
  return { version: candidate.version, scopeChanged: candidate.scopeChanged, passed: report.passed };
}

/**
 * Promotion (SOP 6.6.1): the candidate becomes the production version, on the condition that
 * production is still the version it was validated against; the replaced one is kept as the
 * model's previous version, for rollback. Running it again after it succeeded changes nothing.
 */
export async function promote(incidentId: string): Promise<Promotion> {
  const incident = await openIncident(incidentId);
  const candidate = incident.candidate;
  if (!candidate) throw new StepFailedError(`Incident ${incidentId} has no candidate to promote`);
  const model = await modelOf(incident);
  await recordStep(incidentId, { step: 'promotion', entered: true });
  if (model.productionVersion !== candidate.version) {
    try {
      await setProductionVersion(model.modelId, candidate.version, candidate.productionVersion);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const now = await getModel(model.modelId);
      throw new StepFailedError(
        `Production of ${model.modelId} is ${now?.productionVersion ?? 'unset'}, not ${candidate.productionVersion} as when ${candidate.version} was validated: promotion refused`,
      );
    }
  }
  const promotion: Promotion =
    incident.promotion?.version === candidate.version
      ? incident.promotion
      : {
          version: candidate.version,
          previousVersion: candidate.productionVersion,
          promotedAt: new Date().toISOString(),
        };
  await recordStep(incidentId, {
    step: 'promotion',
    left: { outcome: 'promoted' },
    changes: { set: { promotion } },
    details: { ...promotion },
  });
  metrics.addMetric('VersionsPromoted', MetricUnit.Count, 1);
  // Once per promotion: a task run again after it succeeded changes and tells nothing.
  if (incident.promotion?.version !== candidate.version)
    await publishEvents([promotedEvent(incident, promotion)]);
  return promotion;
}

/**
 * Tells Technical Support what changed (SOP 6.6.2): the new version, the one it replaces, the
 * notes of the retraining, whether scope or data usage changed, the metrics side by side. The
 * stabilisation period begins; Operations verifies when it ends.
 */
export async function notifySupport(incidentId: string, stabilisationSeconds: number): Promise<void> {
  const incident = await openIncident(incidentId);
  const { candidate, promotion, validationReport } = incident;
  if (!candidate || !promotion) throw new StepFailedError(`Incident ${incidentId} has promoted nothing`);
  const model = await modelOf(incident);
  const endsAt = new Date(Date.now() + stabilisationSeconds * 1000).toISOString();
  const metricsLines = (validationReport?.comparison ?? []).map(
    (row) => `${row.metric}: ${row.candidate ?? '–'} (was ${row.production ?? '–'})`,
  );
  await notifier().send({
    to: emailsOf(model, ['support']),
    subject: `[Vigil] ${modelLabel(model)}: version ${promotion.version} is in production`,
    text: [
      'Hello Technical Support,',
      '',
      `Version ${promotion.version} of ${modelLabel(model)} replaced version ${promotion.previousVersion} in production at ${promotion.promotedAt}.`,
      '',
      'What changed:',
      candidate.notes.trim() || '(the AI Dev Team left no notes)',
      '',
      candidate.scopeChanged
        ? 'Scope, functionality or data usage changed; the AI-IRB Liaison and Legal/Compliance approved the change.'
        : 'Scope, functionality and data usage are unchanged.',
      '',
      'Metrics, new version (previous version):',
      bulletList(metricsLines),
      '',
      `Operations verifies the new version after a stabilisation period of ${humanDuration(stabilisationSeconds)}, at ${endsAt}.`,
      'Please pass on to the AI Dev Team any user report about changed outputs or interpretability.',
      '',
      incidentSummary(incident, model),
      '',
      signature,
    ].join('\n'),
  });
  await recordStep(incidentId, {
    step: 'support_notice',
    entered: true,
    left: { outcome: 'notified' },
    details: {
      to: emailsOf(model, ['support']),
      version: promotion.version,
      previousVersion: promotion.previousVersion,
    },
  });
  await recordStep(incidentId, {
    step: 'stabilisation',
    entered: true,
    changes: { set: { stabilisationEndsAt: endsAt } },
    details: { seconds: stabilisationSeconds, endsAt },
  });
}

/**
 * The automatic part of Operations' verification (SOP 6.6.3): the model's latest evaluation
 * whose window ended after the promotion. `healthy` or `breach` from its status; `no_data`
 * when there is none yet or it had too few samples.
 */
export async function checkNewVersion(incidentId: string): Promise<VerificationCheck> {
  const incident = await openIncident(incidentId);
  const { promotion } = incident;
  if (!promotion) throw new StepFailedError(`Incident ${incidentId} has promoted nothing`);
  await recordStep(incidentId, { step: 'stabilisation', left: { outcome: 'elapsed' } });
  await recordStep(incidentId, { step: 'verification_check', entered: true });
  const evaluation = await latestEvaluationSince(incident.modelId, promotion.promotedAt);
  const status: VerificationCheck['status'] =
    evaluation?.status === 'ok' ? 'healthy' : evaluation?.status === 'breach' ? 'breach' : 'no_data';
  const check: VerificationCheck = {
    status,
    ...(evaluation ? { evaluationId: evaluation.evaluationId } : {}),
    reasons: evaluation?.reasons ?? [],
    checkedAt: new Date().toISOString(),
  };
  await recordStep(incidentId, {
    step: 'verification_check',
    left: { outcome: status },
    changes: { set: { verification: check } },
    details: { ...check },
  });
  return check;
}

/**
 * Rollback after Operations' verification: the previous version serves again (on the condition
 * that production is still the promoted one), and the roles involved are alerted. Running it
 * again after it succeeded changes nothing.
 */
export async function rollback(
  incidentId: string,
  decision: { readonly comment: string; readonly decidedBy: string },
): Promise<Rollback> {
  const incident = await openIncident(incidentId);
  const { promotion } = incident;
  if (!promotion) throw new StepFailedError(`Incident ${incidentId} has promoted nothing to roll back`);
  const model = await modelOf(incident);
  await recordStep(incidentId, { step: 'rollback', entered: true, actor: decision.decidedBy });
  if (model.productionVersion !== promotion.previousVersion) {
    try {
      await setProductionVersion(model.modelId, promotion.previousVersion, promotion.version);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      throw new StepFailedError(
        `Production of ${model.modelId} is no longer ${promotion.version}: rollback to ${promotion.previousVersion} refused`,
      );
    }
  }
  const done: Rollback = {
    restoredVersion: promotion.previousVersion,
    rolledBackVersion: promotion.version,
    at: new Date().toISOString(),
  };
  await recordStep(incidentId, {
    step: 'rollback',
    left: { outcome: 'rolled_back', by: decision.decidedBy },
    changes: { append: { rollbacks: [done] }, remove: ['promotion'] },
    details: { ...done, comment: decision.comment },
  });
  await notifier().send({
    to: emailsOf(model, ['mlops', 'operations', 'dataScienceLead', 'devTeam', 'support']),
    subject: `[Vigil] Rollback: ${modelLabel(model)} is back on version ${done.restoredVersion}`,
    text: [
      'Hello,',
      '',
      `Operations (${decision.decidedBy}) rolled ${modelLabel(model)} back from version ${done.rolledBackVersion} to ${done.restoredVersion} at ${done.at}.`,
      '',
      'Reason given:',
      decision.comment || '(none)',
      '',
      'The incident goes back to retraining.',
      '',
      incidentSummary(incident, model),
      '',
      signature,
    ].join('\n'),
  });
  metrics.addMetric('Rollbacks', MetricUnit.Count, 1);
  await publishEvents([rolledBackEvent(incident, done, decision.decidedBy)]);
  return done;
}

/**
 * Closes the incident (`resolved`, `false_alarm` or `abandoned`): time to resolution and
 * retraining cycles are recorded (SOP section 5), pending requests withdrawn, the model's
 * open-incident lock released, and the Data Science Lead and the AI Dev Team told.
 */
export async function closeIncident(incidentId: string, status: ClosedStatus) {
  const incident = await getIncident(incidentId);
  if (!incident) throw new StepFailedError(`Incident ${incidentId} does not exist`);
  let closed = incident;
  if (incident.status === 'open') {
    const closedAt = new Date().toISOString();
    const timeToResolutionSeconds = Math.round((Date.parse(closedAt) - Date.parse(incident.openedAt)) / 1000);
    closed = await updateIncident(incidentId, {
      set: {
        status,
        closedAt,
        timeToResolutionSeconds,
        currentStep: 'closed',
        ...endedIndexAttributes(incident.modelId, closedAt, incidentId),
      },
      history: [{ step: 'closed', event: 'entered', at: closedAt, outcome: status }],
    });
    await appendAudit(incidentId, {
      at: closedAt,
      type: 'incident.closed',
      actor: 'workflow',
      details: { status, timeToResolutionSeconds, retrainingCycles: incident.retrainingCycles },
    });
    metrics.addMetric('IncidentsClosed', MetricUnit.Count, 1);
    metrics.addMetric('TimeToResolution', MetricUnit.Seconds, timeToResolutionSeconds);
    metrics.addMetric('RetrainingCycles', MetricUnit.Count, incident.retrainingCycles);
    await releaseIncident(closed, `the incident closed as ${status}`);
    await publishEvents([closedEvent(closed, status)]);
    const model = await getModel(incident.modelId);
    if (model) {
      await notifier().send({
        to: emailsOf(model, ['dataScienceLead', 'devTeam']),
        subject: `[Vigil] ${modelLabel(model)}: incident ${incidentId} closed as ${status.replace('_', ' ')}`,
        text: [
          'Hello,',
          '',
          `Incident ${incidentId} of ${modelLabel(model)} is closed as ${status.replace('_', ' ')}.`,
          `Time to resolution: ${humanDuration(timeToResolutionSeconds)}; retraining cycles: ${incident.retrainingCycles}.`,
          `Production version: ${model.productionVersion ?? 'none'}.`,
          '',
          incidentSummary(incident, model),
          '',
          signature,
        ].join('\n'),
      });
    }
  } else if (incident.status === status) {
    await releaseIncident(incident, `the incident closed as ${status}`);
  } else {
    throw new StepFailedError(`Incident ${incidentId} is ${incident.status} already`);
  }
  return {
    status,
    timeToResolutionSeconds: closed.timeToResolutionSeconds,
    retrainingCycles: closed.retrainingCycles,
  };
}

/** Characters of a failure's error and cause an incident keeps. */
export const MAX_FAILURE_TEXT = 4000;

/** The first `length` characters of `text`, marked with an ellipsis when cut, never half a surrogate pair. */
function clip(text: string, length: number): string {
  if (text.length <= length) return text;
  let end = length - 1;
  if (/[\uD800-\uDBFF]/.test(text.charAt(end - 1))) end--;
  return `${text.slice(0, end)}…`;
}

/**
 * The failure path: a task failed after its retries, or a human step stayed unanswered after
 * every reminder. The incident is marked `failed` with the error, pending requests withdrawn,
 * the model's lock released (the next breach opens a new incident), and MLOps alerted.
 */
export async function failIncident(incidentId: string, fullError: string, fullCause: string): Promise<void> {
  // Step Functions passes causes of up to 32,768 characters: the incident keeps the start.
  const error = clip(fullError, MAX_FAILURE_TEXT);
  const cause = clip(fullCause, MAX_FAILURE_TEXT);
  const incident = await getIncident(incidentId);
  if (!incident) throw new StepFailedError(`Incident ${incidentId} does not exist`);
  if (incident.status === 'open') {
    const at = new Date().toISOString();
    const failed = await updateIncident(incidentId, {
      set: {
        status: 'failed',
        closedAt: at,
        failure: { error, cause, at },
        ...endedIndexAttributes(incident.modelId, at, incidentId),
      },
      history: [{ step: incident.currentStep, event: 'left', at, outcome: 'failed' }],
    });
    await appendAudit(incidentId, {
      at,
      type: 'incident.failed',
      actor: 'workflow',
      step: incident.currentStep,
      details: { error, cause },
    });
    metrics.addMetric('IncidentsFailed', MetricUnit.Count, 1);
    await releaseIncident(failed, 'the incident failed');
    await publishEvents([closedEvent(failed, 'failed')]);
    const model = await getModel(incident.modelId);
    if (model) {
      await notifier().send({
        to: emailsOf(model, ['mlops']),
        subject: `[Vigil] Workflow failed: ${modelLabel(model)}, incident ${incidentId}`,
        text: [
          'Hello MLOps,',
          '',
          `The governance workflow of incident ${incidentId} failed at step "${incident.currentStep}".`,
          `Error: ${error}`,
          `Cause: ${cause}`,
          '',
          `The incident is marked failed and the model's lock released: the next breach opens a new incident. Execution: ${incident.executionArn ?? 'unknown'}.`,
          '',
          incidentSummary(incident, model),
          '',
          signature,
        ].join('\n'),
      });
    }
  } else {
    await releaseIncident(incident, `the incident is ${incident.status}`);
  }
}

async function releaseIncident(incident: IncidentRecord, reason: string): Promise<void> {
  await closePendingApprovals(incident.incidentId, 'withdrawn', reason);
  await deleteCandidateTask(incident.incidentId);
  await deleteRevertTask(incident.incidentId);
  await deleteBaselineTask(incident.modelId, incident.incidentId);
  await releaseOpenIncidentLock(incident.modelId, incident.incidentId, incident.kind);
}
