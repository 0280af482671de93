import type { Notifier } from './port.ts';
import { SnsNotifier } from './sns.ts';

export type { Notification, Notifier } from './port.ts';

const topicArn = process.env.NOTIFICATIONS_TOPIC_ARN;
let configured: Notifier | undefined;

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
