/** One email: the full text (links included), and the links it carries, for logs and the local outbox. */
export interface Notification {
  /** Recipients; each gets a message of their own. */
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly links?: readonly string[];
}

/**
 * The port through which Vigil tells people something: approval requests, alerts, notices.
 * In AWS, SNS email with one message per recipient; locally, the outbox.
 */
export interface Notifier {
  send(notification: Notification): Promise<void>;
}

/** SNS's states of an email subscription: no message reaches an address until it confirms. */
export type SubscriptionState = 'pending_confirmation' | 'confirmed';

/** One email subscription of the notifications topic. */
export interface EmailSubscription {
  /** The address, lower-cased as the `recipient` attribute of every message is. */
  readonly address: string;
  readonly state: SubscriptionState;
  /** Known once confirmed, or when SNS returned it at subscription; needed to unsubscribe. */
  readonly subscriptionArn?: string;
}

/**
 * The email subscriptions of the notifications topic, each filtered on its own address (see
 * `recipientFilterPolicy`). In AWS, SNS; locally, the outbox, which behaves as SNS does: a new
 * address gets a confirmation email and receives nothing else until it follows it.
 */
export interface EmailSubscriptions {
  /**
   * Makes sure the address has its subscription, and returns it. A new address, or one whose
   * subscription is still pending, is sent a (new) confirmation email; a confirmed one is left as
   * it is. Idempotent: an address never has two subscriptions.
   */
  subscribe(address: string): Promise<EmailSubscription>;
  unsubscribe(subscriptionArn: string): Promise<void>;
  /** Every email subscription of the topic. */
  list(): Promise<EmailSubscription[]>;
}

/** The filter policy of an address's subscription: the messages published for it alone. */
export function recipientFilterPolicy(address: string): { recipient: [string] } {
  return { recipient: [address] };
}
