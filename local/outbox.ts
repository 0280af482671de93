import { randomBytes, randomUUID } from 'node:crypto';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import type {
  EmailSubscription,
  EmailSubscriptions,
  Notification,
  Notifier,
} from '../functions/commons/notifier/port.ts';
import { emailSubject } from '../functions/commons/notifier/subject.ts';

/** One email as a recipient would receive it. */
export interface OutboxMessage {
  readonly id: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly links: readonly string[];
  readonly sentAt: string;
  /**
   * Whether SNS would have delivered it: only to a confirmed subscription (a confirmation email
   * always goes out). Messages written before subscriptions were tracked have none.
   */
  readonly delivered?: boolean;
  /** The link at the foot of every SNS email that ends the address's subscription. */
  readonly unsubscribe?: string;
}

/**
 * How a new address's subscription gets confirmed: `auto` at once (the quick start and the
 * demo), `manual` by following the confirmation link in the outbox, as a person does in AWS.
 */
export type ConfirmMode = 'auto' | 'manual';

interface LocalSubscription {
  readonly address: string;
  readonly subscriptionArn: string;
  state: EmailSubscription['state'];
  /** The secrets of the confirmation link and of the unsubscribe link. */
  readonly token: string;
  readonly unsubscribeToken: string;
}

export interface OutboxOptions {
  /** JSONL file the messages are appended to (and read from at start). */
  readonly file?: string;
  /** JSON file of the subscriptions (0600: it holds the confirmation tokens). */
  readonly subscriptionsFile?: string;
  readonly print?: (line: string) => void;
  /** `auto` by default. */
  readonly confirm?: ConfirmMode;
  /** The base URL of confirmation links (the runtime's own URL, known once it listens). */
  readonly baseUrl?: () => string;
}

/** The path of the confirmation link: `GET /_local/sns/confirm?token=...`. */
export const CONFIRM_PATH = '/_local/sns/confirm';
/** The path of the unsubscribe link: `GET /_local/sns/unsubscribe?token=...`. */
export const UNSUBSCRIBE_PATH = '/_local/sns/unsubscribe';

/**
 * The local stand-in for SNS email: one message per recipient, as SNS would deliver them, kept
 * in memory (listed at `GET /_local/outbox`, newest last), appended to a JSONL file in the data
 * dir so they survive a restart, and printed on the console with their links.
 *
 * It also keeps the topic's email subscriptions and behaves as SNS does with them: a new address
 * receives a confirmation email with a link and, until it follows it, the messages to it are
 * listed as not delivered (`delivered: false`) and their links are not printed.
 */
export class LocalOutbox implements Notifier {
  private readonly messages: OutboxMessage[] = [];
  private readonly subscriptions = new Map<string, LocalSubscription>();
  private writes: Promise<void> = Promise.resolve();
  private readonly print: (line: string) => void;
  readonly confirmMode: ConfirmMode;
  /** The topic's email subscriptions, as the `EmailSubscriptions` port. */
  readonly emailSubscriptions: EmailSubscriptions = {
    subscribe: (address) => this.subscribe(address),
    unsubscribe: (subscriptionArn) => this.unsubscribe(subscriptionArn),
    list: async () => this.listSubscriptions(),
  };

  private constructor(private readonly options: OutboxOptions) {
    this.print = options.print ?? ((line) => console.log(line));
    this.confirmMode = options.confirm ?? 'auto';
  }

  /** An outbox, with the messages and subscriptions already in its files when they exist. */
  static async open(options: OutboxOptions = {}): Promise<LocalOutbox> {
    const outbox = new LocalOutbox(options);
    for (const line of (await readIfExists(options.file)).split('\n')) {
      if (line.trim()) outbox.messages.push(JSON.parse(line) as OutboxMessage);
    }
    const kept = (await readIfExists(options.subscriptionsFile)).trim();
    for (const subscription of kept ? (JSON.parse(kept) as LocalSubscription[]) : []) {
      outbox.subscriptions.set(subscription.address, subscription);
    }
    return outbox;
  }

  async send(notification: Notification): Promise<void> {
    const sentAt = new Date().toISOString();
    const sent = notification.to.map((to): OutboxMessage => {
      const subscription = this.subscriptions.get(to.trim().toLowerCase());
      const delivered = subscription?.state === 'confirmed';
      return {
        id: randomUUID(),
        to,
        // What SNS would deliver: the same subject rules.
        subject: emailSubject(notification.subject),
        text: notification.text,
        links: [...(notification.links ?? [])],
        sentAt,
        delivered,
        ...(delivered ? { unsubscribe: this.link(UNSUBSCRIBE_PATH, subscription.unsubscribeToken) } : {}),
      };
    });
    await this.record(sent);
  }

  /** Every message, oldest first. */
  list(): readonly OutboxMessage[] {
    return [...this.messages];
  }

  /** Resolves once every message is on disk. */
  async flush(): Promise<void> {
    await this.writes;
  }

  async subscribe(address: string): Promise<EmailSubscription> {
    const normalized = address.trim().toLowerCase();
    const existing = this.subscriptions.get(normalized);
    if (existing?.state === 'confirmed') return view(existing);
    const subscription: LocalSubscription = existing ?? {
      address: normalized,
      subscriptionArn: `arn:aws:sns:local:000000000000:Notifications:${randomUUID()}`,
      state: 'pending_confirmation',
      token: randomBytes(32).toString('base64url'),
      unsubscribeToken: randomBytes(32).toString('base64url'),
    };
    this.subscriptions.set(normalized, subscription);
    if (this.confirmMode === 'auto') {
      subscription.state = 'confirmed';
      this.print(
        `SNS (local): ${normalized} subscribed and confirmed at once (VIGIL_CONFIRM_SUBSCRIPTIONS=auto)`,
      );
      await this.saveSubscriptions();
      return view(subscription);
    }
    await this.saveSubscriptions();
    const link = this.link(CONFIRM_PATH, subscription.token);
    await this.record([
      {
        id: randomUUID(),
        to: normalized,
        subject: 'AWS Notification - Subscription Confirmation',
        text: [
          'You have chosen to subscribe to the topic: Vigil notifications',
          '',
          'To confirm this subscription, click or visit the link below (If this was in error no action is necessary):',
          link,
        ].join('\n'),
        links: [link],
        sentAt: new Date().toISOString(),
        delivered: true,
      },
    ]);
    return view(subscription);
  }

  async unsubscribe(subscriptionArn: string): Promise<void> {
    for (const [address, subscription] of this.subscriptions) {
      if (subscription.subscriptionArn === subscriptionArn) this.subscriptions.delete(address);
    }
    await this.saveSubscriptions();
  }

  listSubscriptions(): EmailSubscription[] {
    return [...this.subscriptions.values()].map(view);
  }

  /**
   * Follows a confirmation link: the subscription of its token is confirmed (again: a link
   * followed twice confirms once). Returns the address, or undefined for an unknown token.
   */
  async confirm(token: string): Promise<string | undefined> {
    const subscription = [...this.subscriptions.values()].find((s) => s.token === token);
    if (!subscription) return undefined;
    if (subscription.state !== 'confirmed') {
      subscription.state = 'confirmed';
      await this.saveSubscriptions();
      this.print(`SNS (local): ${subscription.address} confirmed its subscription`);
    }
    return subscription.address;
  }

  /**
   * Follows an unsubscribe link, as a person (or a mail scanner) would: the subscription is gone.
   * Returns the address, or undefined for an unknown token.
   */
  async unsubscribeByLink(token: string): Promise<string | undefined> {
    const subscription = [...this.subscriptions.values()].find((s) => s.unsubscribeToken === token);
    if (!subscription) return undefined;
    await this.unsubscribe(subscription.subscriptionArn);
    this.print(`SNS (local): ${subscription.address} unsubscribed`);
    return subscription.address;
  }

  private link(pathname: string, token: string): string {
    return `${(this.options.baseUrl?.() ?? '').replace(/\/+$/, '')}${pathname}?token=${token}`;
  }

  private async record(messages: readonly OutboxMessage[]): Promise<void> {
    this.messages.push(...messages);
    for (const message of messages) {
      if (message.delivered === false) {
        this.print(
          `✉ ${message.to}: ${message.subject} (not delivered: the address has not confirmed its subscription)`,
        );
        continue;
      }
      this.print(`✉ ${message.to}: ${message.subject}`);
      for (const link of message.links) this.print(`    ${link}`);
    }
    const file = this.options.file;
    if (file) {
      const lines = messages.map((message) => `${JSON.stringify(message)}\n`).join('');
      await this.write(() => appendFile(file, lines, { mode: 0o600 }));
    }
  }

  private async saveSubscriptions(): Promise<void> {
    const file = this.options.subscriptionsFile;
    if (!file) return;
    const text = JSON.stringify([...this.subscriptions.values()]);
    await this.write(() => writeFile(file, text, { mode: 0o600 }));
  }

  /** Writes one after the other, so the files follow the order of events. */
  private async write(operation: () => Promise<void>): Promise<void> {
    const write = this.writes.then(operation);
    this.writes = write.catch(() => undefined);
    await write;
  }
}

function view(subscription: LocalSubscription): EmailSubscription {
  return {
    address: subscription.address,
    state: subscription.state,
    subscriptionArn: subscription.subscriptionArn,
  };
}

async function readIfExists(file: string | undefined): Promise<string> {
  if (!file) return '';
  return readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
}
