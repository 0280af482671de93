import { type EmailSubscription, subscriptions, uniqueRecipients } from '#commons/notifier/index';
import type { ModelInput } from '#commons/registry/schema';
import { listModelApprovers, type ModelRecord } from '#commons/registry/store';
import {
  type DeliveryState,
  deleteSubscriber,
  getSubscribers,
  listSubscribers,
  needsCatchUp,
  putSubscriber,
  type SubscriberRecord,
  setSubscriberState,
} from './store.ts';

/** A model's delivery: the state of each of its approvers' addresses. */
export type Delivery = Record<string, DeliveryState>;

/**
 * Vigil never unsubscribes an address it subscribed less than this long ago: a model registered
 * that moment may not be in the models index yet (a global secondary index is eventually consistent).
 */
const RELEASE_GRACE_MS = 10 * 60 * 1000;

/** Every address of an approvers configuration, lower-cased (as SNS filters on it), each once. */
export function approverAddresses(approvers: ModelInput['approvers'] | undefined): string[] {
  return uniqueRecipients(
    Object.values(approvers ?? {})
      .flat()
      .map((address) => address.toLowerCase()),
  );
}

/**
 * After a model is registered or updated: every approver address gets its subscription (one per
 * address, whichever models name it; an unsubscribed one is subscribed again, which sends a new
 * confirmation email), and the addresses the update dropped are unsubscribed when no other model
 * names them. Returns the model's delivery as Vigil knows it now.
 */
export async function followApprovers(model: ModelRecord, previous?: Pick<ModelRecord, 'approvers'>) {
  const now = new Date().toISOString();
  const addresses = approverAddresses(model.approvers);
  const stored = await getSubscribers(addresses);
  const delivery: Delivery = {};
  for (const address of addresses) {
    let record = stored.get(address);
    if (!record || record.state === 'unsubscribed') record = await subscribe(address, record, now);
    delivery[address] = record.state;
  }
  const dropped = approverAddresses(previous?.approvers).filter((address) => !addresses.includes(address));
  if (dropped.length > 0) {
    const others = (await listModelApprovers()).filter((other) => other.modelId !== model.modelId);
    const named = new Set([...addresses, ...others.flatMap((other) => approverAddresses(other.approvers))]);
    const unused = dropped.filter((address) => !named.has(address));
    const records = await getSubscribers(unused);
    for (const record of records.values()) await release(record);
  }
  return delivery;
}

/**
 * The delivery of a model's approvers as SNS shows it now (`ListSubscriptionsByTopic`); what
 * changed is recorded, so that the workflow sees it too.
 */
export async function deliveryOf(model: Pick<ModelRecord, 'approvers'>): Promise<Delivery> {
  const addresses = approverAddresses(model.approvers);
  const [listed, stored] = await Promise.all([listedByAddress(), getSubscribers(addresses)]);
  const now = new Date().toISOString();
  const delivery: Delivery = {};
  for (const address of addresses) {
    delivery[address] =
      (await observe(stored.get(address), listed.get(address), now))?.state ?? 'unsubscribed';
  }
  return delivery;
}

/**
 * Sends a new confirmation email to every address of the model that is not confirmed: SNS sends
 * a pending subscription a new one, and an address whose subscription is gone is subscribed again.
 */
export async function resendConfirmations(
  model: Pick<ModelRecord, 'approvers'>,
): Promise<{ resent: string[]; delivery: Delivery }> {
  const delivery = await deliveryOf(model);
  const resent = Object.keys(delivery).filter((address) => delivery[address] !== 'confirmed');
  const stored = await getSubscribers(resent);
  const now = new Date().toISOString();
  for (const address of resent)
    delivery[address] = (await subscribe(address, stored.get(address), now)).state;
  return { resent, delivery };
}

/**
 * The scheduled look at the topic (and, locally, what follows a confirmation):
 * 1. an address some model names that Vigil has no record of is recorded as SNS shows it (a
 *    subscription of the deploy-time seed) or, absent there too, subscribed (a registration whose
 *    subscription failed);
 * 2. every record takes the state SNS shows now;
 * 3. an address no model names any more, that Vigil subscribed, is unsubscribed.
 * Returns the addresses confirmed since the requests waiting for them were last sent
 * (`needsCatchUp`), and those whose confirmed subscription is gone.
 */
export async function refreshSubscriptions(
  now = new Date(),
): Promise<{ confirmed: SubscriberRecord[]; lost: SubscriberRecord[] }> {
  const at = now.toISOString();
  const [listed, stored, models] = await Promise.all([
    listedByAddress(),
    listSubscribers(),
    listModelApprovers(),
  ]);
  const wanted = new Set(models.flatMap((model) => approverAddresses(model.approvers)));
  const records = new Map(stored.map((record) => [record.address, record] as const));
  const confirmed: SubscriberRecord[] = [];
  const lost: SubscriberRecord[] = [];
  for (const address of wanted) {
    if (records.has(address)) continue;
    const seen = listed.get(address);
    // Recorded as it is now: the listing above may predate a subscription made here.
    if (seen) await recordExisting(seen, at);
    else await subscribe(address, undefined, at);
  }
  for (const record of stored) {
    if (
      !wanted.has(record.address) &&
      record.subscribedAt &&
      Date.parse(record.subscribedAt) < now.getTime() - RELEASE_GRACE_MS
    ) {
      await release(record, listed.get(record.address));
      continue;
    }
    const updated = await observe(record, listed.get(record.address), at);
    if (!updated) continue;
    if (updated.state === 'unsubscribed' && record.state === 'confirmed') lost.push(updated);
    if (needsCatchUp(updated)) confirmed.push(updated);
  }
  return { confirmed, lost };
}

async function listedByAddress(): Promise<Map<string, EmailSubscription>> {
  const listed = await subscriptions().list();
  return new Map(listed.map((subscription) => [subscription.address, subscription] as const));
}

/** Subscribes the address and records it; a subscription confirmed at once has nothing to catch up. */
async function subscribe(address: string, record: SubscriberRecord | undefined, now: string) {
  const subscription = await subscriptions().subscribe(address);
  const next: SubscriberRecord = {
    address,
    state: subscription.state,
    ...(subscription.subscriptionArn ? { subscriptionArn: subscription.subscriptionArn } : {}),
    subscribedAt: now,
    updatedAt: now,
    ...(subscription.state === 'confirmed'
      ? { confirmedAt: record?.confirmedAt ?? now, caughtUpAt: record?.caughtUpAt ?? now }
      : {}),
  };
  await putSubscriber(next);
  return next;
}

/** Records a subscription Vigil did not make (the deploy-time seed), as it is. */
async function recordExisting(subscription: EmailSubscription, now: string): Promise<SubscriberRecord> {
  const record: SubscriberRecord = {
    address: subscription.address,
    state: subscription.state,
    ...(subscription.subscriptionArn ? { subscriptionArn: subscription.subscriptionArn } : {}),
    updatedAt: now,
    ...(subscription.state === 'confirmed' ? { confirmedAt: now, caughtUpAt: now } : {}),
  };
  await putSubscriber(record);
  return record;
}

/** Records the state SNS shows for an address, when it changed; undefined when there is no record. */
async function observe(
  record: SubscriberRecord | undefined,
  seen: EmailSubscription | undefined,
  now: string,
): Promise<SubscriberRecord | undefined> {
  if (!record) return seen ? recordExisting(seen, now) : undefined;
  const state: DeliveryState = seen?.state ?? 'unsubscribed';
  if (state === record.state && (!seen?.subscriptionArn || seen.subscriptionArn === record.subscriptionArn)) {
    return record;
  }
  return setSubscriberState(record, state, seen?.subscriptionArn, now);
}

/** Unsubscribes an address Vigil subscribed (never one of the seed) and forgets it. */
async function release(record: SubscriberRecord, seen?: EmailSubscription): Promise<void> {
  if (!record.subscribedAt) return;
  const arn = seen?.subscriptionArn ?? record.subscriptionArn;
  if (arn) await subscriptions().unsubscribe(arn);
  await deleteSubscriber(record.address);
}
