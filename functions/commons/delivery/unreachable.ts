import { roleLabels } from '#commons/approvals/steps';
import { appendAudit } from '#commons/incidents/audit';
import { bulletList, incidentSummary, modelLabel, signature } from '#commons/incidents/messages';
import type { IncidentRecord, Role } from '#commons/incidents/types';
import { notifier, uniqueRecipients } from '#commons/notifier/index';
import type { ModelRecord } from '#commons/registry/store';
import { type DeliveryState, getSubscribers } from './store.ts';

/** A role none of whose addresses receives email, with the state of each. */
export interface UnreachableRole {
  readonly role: Role;
  readonly addresses: Readonly<Record<string, DeliveryState>>;
}

/**
 * The roles of which no address has a confirmed subscription, as Vigil last saw the topic
 * (an address it has no record of counts as unsubscribed).
 */
export async function unreachableRoles(
  model: Pick<ModelRecord, 'approvers'>,
  roles: readonly Role[],
): Promise<UnreachableRole[]> {
  const byRole = roles.map(
    (role) => [role, uniqueRecipients(model.approvers[role].map((a) => a.toLowerCase()))] as const,
  );
  const stored = await getSubscribers(uniqueRecipients(byRole.flatMap(([, addresses]) => addresses)));
  const stateOf = (address: string): DeliveryState => stored.get(address)?.state ?? 'unsubscribed';
  return byRole
    .filter(([, addresses]) => !addresses.some((address) => stateOf(address) === 'confirmed'))
    .map(([role, addresses]) => ({
      role,
      addresses: Object.fromEntries(addresses.map((address) => [address, stateOf(address)])),
    }));
}

const meaning: Record<DeliveryState, string> = {
  pending_confirmation: 'has not confirmed its subscription yet',
  unsubscribed: 'is unsubscribed (an unsubscribe link was followed, or the confirmation expired)',
  confirmed: 'confirmed',
};

/**
 * Tells MLOps at once that a message went to a role nobody of which receives email, and records
 * it in the incident's audit trail (`delivery.unconfirmed`). What waits keeps waiting: an address
 * that confirms receives its link then.
 */
export async function tellMlopsUnreachable(input: {
  readonly model: ModelRecord;
  readonly incident: IncidentRecord;
  /** What could not be delivered, e.g. `the monitoring alert` or `"Investigate the alert"`. */
  readonly what: string;
  readonly step?: string;
  readonly unreachable: readonly UnreachableRole[];
}): Promise<void> {
  const { model, incident, unreachable } = input;
  if (unreachable.length === 0) return;
  const labels = unreachable.map((u) => roleLabels[u.role]);
  const mlops = uniqueRecipients(model.approvers.mlops);
  const base = (process.env.PUBLIC_URL ?? '').replace(/\/+$/, '');
  await notifier().send({
    to: mlops,
    subject: `[Vigil] Undelivered: ${labels.join(', ')} unconfirmed, ${model.name} (${incident.incidentId})`,
    text: [
      'Hello MLOps,',
      '',
      `Vigil sent ${input.what} for ${modelLabel(model)} to ${labels.join(' and ')}, but no address of ${unreachable.length > 1 ? 'these roles' : 'this role'} receives Vigil's email, so it reached nobody:`,
      '',
      ...unreachable.flatMap((u) => [
        `${roleLabels[u.role]}:`,
        bulletList(Object.entries(u.addresses).map(([address, state]) => `${address} ${meaning[state]}`)),
      ]),
      '',
      'Each address must follow the link in the email "AWS Notification - Subscription Confirmation" (it may be in spam).',
      `To send new confirmation emails: POST ${base || '<API URL>'}/v1/models/${model.modelId}/delivery/resend with the admin key.`,
      'Nothing is lost: the step keeps waiting, and an address receives its link as soon as it is confirmed.',
      '',
      incidentSummary(incident, model),
      '',
      signature,
    ].join('\n'),
  });
  await appendAudit(incident.incidentId, {
    type: 'delivery.unconfirmed',
    actor: 'workflow',
    ...(input.step ? { step: input.step } : {}),
    details: {
      what: input.what,
      roles: unreachable.map((u) => u.role),
      addresses: Object.fromEntries(unreachable.flatMap((u) => Object.entries(u.addresses))),
      to: mlops,
    },
  });
}
