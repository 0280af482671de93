import { approvalLink } from '#commons/approvals/request';
import { humanSteps, isHumanStep, roleLabels } from '#commons/approvals/steps';
import { type AgentDecision, type ApprovalRecord, getApproval } from '#commons/approvals/store';
import { appendAudit } from '#commons/incidents/audit';
import { humanDuration, incidentSummary, signature } from '#commons/incidents/messages';
import { getIncident } from '#commons/incidents/store';
import type { IncidentRecord } from '#commons/incidents/types';
import { notifier } from '#commons/notifier/index';
import { getModel, type ModelRecord } from '#commons/registry/store';
import { claimAnnouncement, deleteUnannounced, markAnnounced, type Unannounced } from './store.ts';

/**
 * The scheduled tick's announcement of an agent's decision (`tick.ts` loads this module on the
 * first decision it announces).
 */

/** How long a tick holds an announcement it sends: a tick that stopped leaves it to a later one. */
const ANNOUNCE_LEASE_MS = 2 * 60_000;

/**
 * Emails each person of the step's role what the agent decided and when it takes effect, with
 * their own link to overrule it while it waits (the approval's link: a person's decision there
 * wins). A decision a person overruled before the tick came is not announced any more.
 */
export async function announceDecision(item: Unannounced, now: Date): Promise<boolean> {
  const found = await getApproval(item.approvalId);
  const approval = found?.approval;
  const decision = approval?.agentDecision;
  const current =
    approval && decision && decision.decidedAt === item.decidedAt && !decision.announcedAt
      ? approval.status === 'pending' || approval.decidedBy === decision.decidedBy
      : false;
  const [incident, model] =
    current && approval
      ? await Promise.all([getIncident(approval.incidentId), getModel(approval.modelId)])
      : [];
  if (!approval || !decision || !current || !incident || !model) {
    await deleteUnannounced(item);
    return false;
  }
  const at = now.toISOString();
  const until = new Date(now.getTime() + ANNOUNCE_LEASE_MS).toISOString();
  if (!(await claimAnnouncement(approval.approvalId, decision.decidedAt, at, until))) return false;
  const overrulable = approval.status === 'pending' && decision.effectiveAt > at;
  for (const recipient of approval.recipients) {
    const link = overrulable ? await approvalLink(approval, recipient) : undefined;
    await notifier().send({
      to: [recipient],
      subject: `[Vigil] Agent decision: ${stepTitle(approval.step)}, ${model.name} (${incident.incidentId})`,
      text: agentDecisionText(approval, decision, model, incident, link),
      ...(link ? { links: [link] } : {}),
    });
  }
  await markAnnounced(approval.approvalId, decision.decidedAt, at);
  await appendAudit(approval.incidentId, {
    type: 'agent.announced',
    actor: 'workflow',
    step: approval.step,
    details: { approvalId: approval.approvalId, to: approval.recipients, overrulable },
  });
  await deleteUnannounced(item);
  return true;
}

function stepTitle(step: string): string {
  return isHumanStep(step) ? humanSteps[step].title : step;
}

function optionLabel(step: string, option: string): string {
  if (!isHumanStep(step)) return option;
  const options: Record<string, { readonly label: string }> = humanSteps[step].options;
  return options[option]?.label ?? option;
}

function agentDecisionText(
  approval: ApprovalRecord,
  decision: AgentDecision,
  model: ModelRecord,
  incident: IncidentRecord,
  link: string | undefined,
): string {
  const roles = approval.roles.map((role) => roleLabels[role]).join(' or ');
  const sop = isHumanStep(approval.step) ? ` (SOP ${humanSteps[approval.step].sop})` : '';
  const seconds = Math.round((Date.parse(decision.effectiveAt) - Date.parse(decision.decidedAt)) / 1000);
  return [
    'Hello,',
    '',
    `An authorized agent decided for the ${roles}: ${stepTitle(approval.step)}${sop}.`,
    '',
    `Agent:     ${decision.keyName ? `"${decision.keyName}", ` : ''}key ${decision.keyId} (${decision.decidedBy})`,
    `Decision:  ${optionLabel(approval.step, decision.decision)} ("${decision.decision}")`,
    `Comment:   ${decision.comment || '(none)'}`,
    `Decided:   ${decision.decidedAt}`,
    '',
    ...(link
      ? [
          `It takes effect at ${decision.effectiveAt}, ${humanDuration(seconds)} after the agent decided, unless a person of the role decides first.`,
          'To overrule it, open your link and decide differently: your decision wins and applies at once. It is yours alone: please do not forward it. Opening it changes nothing.',
          link,
        ]
      : [`It takes effect at once: ${model.name} lets agents decide this step without an overrule window.`]),
    '',
    incidentSummary(incident, model),
    '',
    signature,
  ].join('\n');
}
