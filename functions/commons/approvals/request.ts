import { newBaselineText } from '#commons/baseline-review/messages';
import { getBaselineTask, putBaselineTask } from '#commons/baseline-review/store';
import { requireEnv } from '#commons/config';
import { tellMlopsUnreachable, unreachableRoles } from '#commons/delivery/unreachable';
import { appendAudit } from '#commons/incidents/audit';
import { bulletList, humanDuration, incidentSummary, signature } from '#commons/incidents/messages';
import { MAX_REMINDERS } from '#commons/incidents/reminders';
import {
  getCandidateTask,
  getIncident,
  listOpenIncidentIds,
  putCandidateTask,
  updateIncident,
} from '#commons/incidents/store';
import { recordStep } from '#commons/incidents/track';
import { type IncidentRecord, roles } from '#commons/incidents/types';
import { notifier, uniqueRecipients } from '#commons/notifier/index';
import { getModel, type ModelRecord } from '#commons/registry/store';
import { stepWaitingEvent } from '#commons/webhooks/emit';
import { publishEvent } from '#commons/webhooks/publish';
import { StepFailedError } from '#commons/workflow/errors';
import * as z from '#commons/zod';
import { sign } from './signing.ts';
import { type HumanStep, humanSteps, isHumanStep, roleLabels } from './steps.ts';
import {
  type ApprovalRecord,
  approvalIdFor,
  closePendingApprovals,
  getApproval,
  giveApprovalPlaceBack,
  listApprovals,
  putApproval,
  reserveApproval,
} from './store.ts';

/**
 * The base URL of links: the API's URL in AWS. Read when a link is built rather than at load,
 * because the local runtime learns its own URL only once it listens.
 */
function publicUrl(): string {
  return requireEnv('PUBLIC_URL').replace(/\/+$/, '');
}

/** What a human-step task of the state machine sends (`lambda:invoke.waitForTaskToken`). */
export const humanStepRequestSchema = z.strictObject({
  incidentId: z.string().check(z.minLength(1)),
  step: z.string().check(z.minLength(1)),
  kind: z.enum(['decision', 'pir', 'candidate', 'baseline']),
  roles: z.array(z.enum(roles)).check(z.minLength(1)),
  options: z.array(z.string()),
  cycle: z.int().check(z.minimum(0)),
  reminder: z.int().check(z.minimum(0)),
  timeoutSeconds: z.int().check(z.minimum(1)),
  taskToken: z.string().check(z.minLength(1)),
});

export type HumanStepRequest = z.output<typeof humanStepRequestSchema>;

/** What the text of a request depends on: who is asked, which reminder, how long they have. */
type RequestContext = Pick<HumanStepRequest, 'roles' | 'reminder' | 'cycle' | 'timeoutSeconds'>;

/** The link of one recipient: the approval id and a signature bound to them and the expiry. */
export async function approvalLink(
  approval: Pick<ApprovalRecord, 'approvalId' | 'expiresAt'>,
  recipient: string,
) {
  const sig = await sign('link', {
    approvalId: approval.approvalId,
    recipient,
    expiresAt: approval.expiresAt,
  });
  return `${publicUrl()}/approvals/${approval.approvalId}?sig=${sig}`;
}

/**
 * Asks the people of a human step for their answer; the state machine waits for it.
 * 1. Check the step against the catalog (the definition and the code must agree) and load the
 *    open incident and its model's approvers.
 * 2. Supersede what is still pending for the step (an earlier request that timed out).
 * 3. A decision: keep an approval with the task token (server-side only) and email each
 *    recipient their own signed link. A candidate: keep the token as the incident's candidate
 *    task and email the instructions for posting the new version.
 *    The same task token seen again (an invocation delivered twice) sends nothing again.
 * 4. A reminder (the step timed out before) is escalated to MLOps. A first request to a role
 *    none of whose addresses has confirmed its subscription is reported to MLOps at once (the
 *    step still waits: `sendWaitingRequests` sends the link when an address confirms).
 * 5. Record the step entered (first request) or reminded, and the request, in the audit trail.
 */
export async function requestHumanStep(
  request: HumanStepRequest,
): Promise<{ approvalId?: string; sent: number }> {
  const step = stepOf(request);
  const incident = await getIncident(request.incidentId);
  if (!incident) throw new StepFailedError(`Incident ${request.incidentId} does not exist`);
  if (incident.status !== 'open')
    throw new StepFailedError(`Incident ${request.incidentId} is ${incident.status}`);
  const model = await getModel(incident.modelId);
  if (!model) throw new StepFailedError(`Model ${incident.modelId} is not registered`);
  const recipients = uniqueRecipients(request.roles.flatMap((role) => model.approvers[role]));
  const requestedAt = new Date().toISOString();
  const expiresAt = new Date(Date.parse(requestedAt) + request.timeoutSeconds * 1000).toISOString();

  let approvalId: string | undefined;
  if (step.kind === 'candidate') {
    if ((await getCandidateTask(incident.incidentId))?.taskToken === request.taskToken) return { sent: 0 };
    await putCandidateTask(incident.incidentId, {
      taskToken: request.taskToken,
      requestedAt,
      expiresAt,
      cycle: request.cycle,
      roles: request.roles,
      recipients,
      reminder: request.reminder,
      timeoutSeconds: request.timeoutSeconds,
    });
    await trackRequest(incident, request, { recipients, expiresAt }, { retrainingCycles: request.cycle });
    await notifier().send({
      to: recipients,
      subject: subject(request, step, model, incident),
      text: await candidateText(request, step, model, incident, expiresAt),
    });
  } else if (step.kind === 'baseline') {
    // Kept by model: the registry's baseline PUT finds the waiting review there.
    if ((await getBaselineTask(incident.modelId))?.taskToken === request.taskToken) return { sent: 0 };
    await putBaselineTask(incident.modelId, {
      incidentId: incident.incidentId,
      taskToken: request.taskToken,
      requestedAt,
      expiresAt,
      roles: request.roles,
      recipients,
      reminder: request.reminder,
      timeoutSeconds: request.timeoutSeconds,
    });
    await trackRequest(incident, request, { recipients, expiresAt });
    await notifier().send({
      to: recipients,
      subject: subject(request, step, model, incident),
      text: await newBaselineText({
        ...step,
        incident,
        model,
        reminder: reminderLine(request, request.timeoutSeconds),
        late: [],
        publicUrl: publicUrl(),
        expiresAt,
      }),
    });
  } else {
    approvalId = approvalIdFor(request.taskToken);
    if (await getApproval(approvalId)) return { approvalId, sent: 0 };
    // A place among the incident's approvals before anything is written (the step fails past them).
    await reserveApproval(incident.incidentId, request.step);
    await closePendingApprovals(incident.incidentId, 'expired', 'asked again', request.step).catch(
      async (error: unknown) => {
        await giveApprovalPlaceBack(incident.incidentId);
        throw error;
      },
    );
    const approval: ApprovalRecord = {
      approvalId,
      incidentId: incident.incidentId,
      modelId: incident.modelId,
      step: request.step,
      kind: step.kind,
      roles: request.roles,
      options: request.options,
      recipients,
      requestedAt,
      expiresAt,
      reminder: request.reminder,
      cycle: request.cycle,
      status: 'pending',
    };
    if (!(await putApproval(approval, request.taskToken))) return { approvalId, sent: 0 };
    await trackRequest(incident, request, { approvalId, recipients, expiresAt });
    for (const recipient of recipients) {
      const link = await approvalLink(approval, recipient);
      await notifier().send({
        to: [recipient],
        subject: subject(request, step, model, incident),
        text: decisionText(request, step, model, incident, link, expiresAt),
        links: [link],
      });
    }
  }
  if (request.reminder > 0) await escalate(request, step, model, incident, recipients);
  else {
    await tellMlopsUnreachable({
      model,
      incident,
      what: `the request "${step.title}"`,
      step: request.step,
      unreachable: await unreachableRoles(model, request.roles),
    });
    const { type: webhookType, data } = stepWaitingEvent(
      incident,
      { step: request.step, kind: step.kind, title: step.title },
      request.roles,
      expiresAt,
    );
    await publishEvent(webhookType, data);
  }
  return { ...(approvalId ? { approvalId } : {}), sent: recipients.length };
}

function stepOf(request: HumanStepRequest): HumanStep {
  if (!isHumanStep(request.step)) throw new StepFailedError(`Unknown human step "${request.step}"`);
  const step: HumanStep = humanSteps[request.step];
  const expected = Object.keys(step.options);
  if (step.kind !== request.kind || expected.join(',') !== request.options.join(',')) {
    throw new StepFailedError(
      `Step "${request.step}" is a ${step.kind} with options [${expected.join(', ')}], the definition asks for a ${request.kind} with [${request.options.join(', ')}]`,
    );
  }
  return step;
}

async function trackRequest(
  incident: IncidentRecord,
  request: HumanStepRequest,
  details: Record<string, unknown>,
  set: Record<string, unknown> = {},
): Promise<void> {
  if (request.reminder === 0) {
    await recordStep(incident.incidentId, {
      step: request.step,
      entered: true,
      changes: { set },
      details: { roles: request.roles },
    });
  } else if (Object.keys(set).length > 0) {
    await updateIncident(incident.incidentId, { set });
  }
  await appendAudit(incident.incidentId, {
    type: request.reminder === 0 ? 'request.sent' : 'request.reminded',
    actor: 'workflow',
    step: request.step,
    details: { ...details, roles: request.roles, reminder: request.reminder, cycle: request.cycle },
  });
}

function subject(
  request: Pick<RequestContext, 'reminder'>,
  step: HumanStep,
  model: ModelRecord,
  incident: IncidentRecord,
): string {
  const reminder = request.reminder > 0 ? `Reminder ${request.reminder}/${MAX_REMINDERS}: ` : '';
  return `[Vigil] ${reminder}${step.title}, ${model.name} (${incident.incidentId})`;
}

function reminderLine(request: Pick<RequestContext, 'reminder'>, timeoutSeconds: number): string[] {
  if (request.reminder === 0) return [];
  return [
    `REMINDER ${request.reminder} of ${MAX_REMINDERS}: nobody answered within ${humanDuration(timeoutSeconds)}. MLOps has been told.`,
    request.reminder === MAX_REMINDERS
      ? 'This is the last reminder: without an answer the incident fails.'
      : 'Earlier links for this step no longer work; use this one.',
    '',
  ];
}

function lateLine(late: boolean): string[] {
  return late
    ? ['Your address has just confirmed its subscription to Vigil: this request was waiting for you.', '']
    : [];
}

function decisionText(
  request: RequestContext,
  step: HumanStep,
  model: ModelRecord,
  incident: IncidentRecord,
  link: string,
  expiresAt: string,
  late = false,
): string {
  return [
    'Hello,',
    '',
    ...lateLine(late),
    ...reminderLine(request, request.timeoutSeconds),
    `Vigil needs your decision as ${request.roles.map((role) => roleLabels[role]).join(' or ')}: ${step.title} (SOP ${step.sop}).`,
    step.ask,
    '',
    incidentSummary(incident, model),
    '',
    'Open your link to read the evidence and decide. It is yours alone: please do not forward it.',
    link,
    '',
    `The link works until ${expiresAt}. Opening it changes nothing; only the form on the page records a decision.`,
    '',
    signature,
  ].join('\n');
}

/** Why the incident is back at retraining: the latest rejection, rollback or failed re-validation. */
async function sentBackBecause(incident: IncidentRecord): Promise<string[]> {
  const decided = (await listApprovals(incident.incidentId)).filter(
    (approval) => approval.status === 'decided' && ['reject', 'rollback'].includes(approval.decision ?? ''),
  );
  const rejection = decided.at(-1);
  const report = incident.validationReport;
  const failedValidation = report && !report.passed ? report : undefined;
  if (rejection && (!failedValidation || (rejection.decidedAt ?? '') > failedValidation.checkedAt)) {
    const title = isHumanStep(rejection.step) ? humanSteps[rejection.step].title : rejection.step;
    return [
      `${title}: ${rejection.decidedBy} decided "${rejection.decision}" on ${rejection.decidedAt}:`,
      rejection.comment || '(no comment)',
    ];
  }
  if (failedValidation) {
    return [
      `Candidate ${failedValidation.candidateVersion} failed the automated re-validation:`,
      bulletList(failedValidation.checks.filter((check) => !check.passed).map((check) => check.message)),
    ];
  }
  return [];
}

async function candidateText(
  request: RequestContext,
  step: HumanStep,
  model: ModelRecord,
  incident: IncidentRecord,
  expiresAt: string,
  late = false,
): Promise<string> {
  const back = request.cycle > 1 ? await sentBackBecause(incident) : [];
  return [
    'Hello,',
    '',
    ...lateLine(late),
    ...reminderLine(request, request.timeoutSeconds),
    incident.kind === 'unapproved_version'
      ? `The Data Science Lead asked to review version ${String(incident.details?.servedVersion)}, which served predictions without approval: submit it as the candidate (SOP 6.1.1, then ${step.sop}), cycle ${request.cycle} of at most ${model.governance.maxRetrainingCycles}.`
      : `The Data Science Lead confirmed the drift: ${step.title} (SOP ${step.sop}), cycle ${request.cycle} of at most ${model.governance.maxRetrainingCycles} before the Data Science Lead decides again.`,
    step.ask,
    ...(back.length ? ['', 'Sent back to retraining because', ...back] : []),
    '',
    incidentSummary(incident, model),
    '',
    'When the new version is ready, the training pipeline (or you) posts it with a key of the model that has the candidate scope, or the admin key:',
    '',
    `  POST ${publicUrl()}/v1/incidents/${incident.incidentId}/candidate`,
    '  x-api-key: <key>',
    '  content-type: application/json',
    '',
    `  {"version": "<a semantic version greater than ${model.productionVersion ?? incident.version}>", "artifactUri": "<where the artifact is>",`,
    '   "metrics": {"<metric>": <value>}, "scopeChanged": <true if scope, functionality or data usage changed>, "notes": "<what changed>"}',
    '',
    "Vigil then re-validates it against the model's thresholds and production's metrics, and asks QA.",
    `Please post it before ${expiresAt}.`,
    '',
    signature,
  ].join('\n');
}

async function escalate(
  request: HumanStepRequest,
  step: HumanStep,
  model: ModelRecord,
  incident: IncidentRecord,
  recipients: readonly string[],
): Promise<void> {
  const escalation = uniqueRecipients(model.approvers.mlops);
  await notifier().send({
    to: escalation,
    subject: `[Vigil] Escalation: ${step.title} unanswered, ${model.name} (${incident.incidentId})`,
    text: [
      'Hello MLOps,',
      '',
      `Nobody answered "${step.title}" (${request.roles.map((role) => roleLabels[role]).join(', ')}) within ${humanDuration(request.timeoutSeconds)}.`,
      `Reminder ${request.reminder} of ${MAX_REMINDERS} went to:`,
      bulletList(recipients),
      '',
      request.reminder === MAX_REMINDERS
        ? `If this one stays unanswered too, the incident fails in ${humanDuration(request.timeoutSeconds)}.`
        : 'Please make sure someone answers.',
      '',
      incidentSummary(incident, model),
      '',
      signature,
    ].join('\n'),
  });
  await appendAudit(incident.incidentId, {
    type: 'request.escalated',
    actor: 'workflow',
    step: request.step,
    details: { to: escalation, reminder: request.reminder },
  });
}

/**
 * Sends an address that has just confirmed its subscription what is waiting for it: its own link
 * to every pending approval of an open incident that names it, the retraining request of an
 * incident waiting for a candidate, and the request of a baseline review waiting for a baseline. Expired requests are left to the workflow's reminders.
 * `open`, the open incidents' ids when the caller has read them already, spares reading them again.
 */
export async function sendWaitingRequests(
  address: string,
  open?: readonly { incidentId: string; modelId: string }[],
): Promise<number> {
  const now = new Date().toISOString();
  const mine = (recipients: readonly string[]) =>
    recipients.find((recipient) => recipient.toLowerCase() === address);
  let sent = 0;
  for (const { incidentId, modelId } of open ?? (await listOpenIncidentIds())) {
    const [incident, model] = await Promise.all([getIncident(incidentId), getModel(modelId)]);
    if (incident?.status !== 'open' || !model) continue;
    for (const approval of await listApprovals(incident.incidentId)) {
      const recipient = mine(approval.recipients);
      if (approval.status !== 'pending' || approval.expiresAt <= now || !recipient) continue;
      if (!isHumanStep(approval.step)) continue;
      const step = humanSteps[approval.step];
      const context = {
        roles: [...approval.roles],
        reminder: approval.reminder,
        cycle: approval.cycle,
        timeoutSeconds: Math.round(
          (Date.parse(approval.expiresAt) - Date.parse(approval.requestedAt)) / 1000,
        ),
      };
      const link = await approvalLink(approval, recipient);
      await notifier().send({
        to: [recipient],
        subject: subject(context, step, model, incident),
        text: decisionText(context, step, model, incident, link, approval.expiresAt, true),
        links: [link],
      });
      await appendAudit(incident.incidentId, {
        type: 'request.delivered',
        actor: 'workflow',
        step: approval.step,
        details: { approvalId: approval.approvalId, to: recipient, reason: 'subscription confirmed' },
      });
      sent++;
    }
    const task = await getCandidateTask(incident.incidentId);
    const recipient = task?.recipients && mine(task.recipients);
    if (task?.roles && recipient && task.expiresAt > now) {
      const step = humanSteps.retraining;
      const context = {
        roles: [...task.roles],
        reminder: task.reminder ?? 0,
        cycle: task.cycle,
        timeoutSeconds: task.timeoutSeconds ?? 0,
      };
      await notifier().send({
        to: [recipient],
        subject: subject(context, step, model, incident),
        text: await candidateText(context, step, model, incident, task.expiresAt, true),
      });
      await appendAudit(incident.incidentId, {
        type: 'request.delivered',
        actor: 'workflow',
        step: 'retraining',
        details: { to: recipient, reason: 'subscription confirmed' },
      });
      sent++;
    }
    const baselineTask =
      incident.kind === 'baseline_review' ? await getBaselineTask(incident.modelId) : undefined;
    const baselineRecipient =
      baselineTask?.incidentId === incident.incidentId && mine(baselineTask.recipients);
    if (baselineTask && baselineRecipient && baselineTask.expiresAt > now) {
      const step = humanSteps.new_baseline;
      await notifier().send({
        to: [baselineRecipient],
        subject: subject(baselineTask, step, model, incident),
        text: await newBaselineText({
          ...step,
          incident,
          model,
          reminder: reminderLine(baselineTask, baselineTask.timeoutSeconds),
          late: lateLine(true),
          publicUrl: publicUrl(),
          expiresAt: baselineTask.expiresAt,
        }),
      });
      await appendAudit(incident.incidentId, {
        type: 'request.delivered',
        actor: 'workflow',
        step: 'new_baseline',
        details: { to: baselineRecipient, reason: 'subscription confirmed' },
      });
      sent++;
    }
  }
  return sent;
}
