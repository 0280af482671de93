import type { EmailSubscriptions, Notifier } from './port.ts';
import { SnsNotifier, SnsSubscriptions } from './sns.ts';

export type {
  EmailSubscription,
  EmailSubscriptions,
  Notification,
  Notifier,
  SubscriptionState,
} from './port.ts';

const topicArn = process.env.NOTIFICATIONS_TOPIC_ARN;
let configured: Notifier | undefined;
let configuredSubscriptions: EmailSubscriptions | undefined;

/** Installs the email subscriptions to use; the local runtime registers its outbox before it serves. */
export function configureSubscriptions(subscriptions: EmailSubscriptions): void {
  configuredSubscriptions = subscriptions;
}

/** The topic's email subscriptions: SNS when NOTIFICATIONS_TOPIC_ARN is set, else the configured ones. */
export function subscriptions(): EmailSubscriptions {
  // Built on first use, not at load: most requests of a function manage no subscription.
  if (!configuredSubscriptions && topicArn) configuredSubscriptions = new SnsSubscriptions(topicArn);
  if (!configuredSubscriptions) {
    throw new Error(
      'No email subscriptions: set NOTIFICATIONS_TOPIC_ARN (AWS) or configure them (the local runtime does)',
    );
  }
  return configuredSubscriptions;
}

/** Installs the notifier to use; the local runtime registers its outbox before it serves. */
export function configureNotifier(notifier: Notifier): void {
  configured = notifier;
}

/** The notifier of this environment: SNS when NOTIFICATIONS_TOPIC_ARN is set, else the configured one. */
export function notifier(): Notifier {
  // Built on first use, not at load: most requests of a function send no email.
  if (!configured && topicArn) configured = new SnsNotifier(topicArn);
  if (!configured) {
    throw new Error(
      'No notifier: set NOTIFICATIONS_TOPIC_ARN (AWS) or configure one (the local runtime does)',
    );
  }
  return configured;
}

/** Unique, non-empty addresses in their first order. */
export function uniqueRecipients(addresses: Iterable<string>): string[] {
  const seen = new Set<string>();
  for (const address of addresses) {
    const trimmed = address.trim();
    if (trimmed) seen.add(trimmed);
  }
  return [...seen];
}
