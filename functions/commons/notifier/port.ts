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
