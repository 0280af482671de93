import { randomUUID } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import type { Notification, Notifier } from '../functions/commons/notifier/port.ts';
import { emailSubject } from '../functions/commons/notifier/subject.ts';

/** One email as a recipient would receive it. */
export interface OutboxMessage {
  readonly id: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly links: readonly string[];
  readonly sentAt: string;
}

/**
 * The local stand-in for SNS email: one message per recipient, as SNS would deliver them, kept
 * in memory (listed at `GET /_local/outbox`, newest last), appended to a JSONL file in the data
 * dir so they survive a restart, and printed on the console with their links.
 */
export class LocalOutbox implements Notifier {
  private readonly messages: OutboxMessage[] = [];
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string | undefined,
    private readonly print: (line: string) => void,
  ) {}

  /** An outbox, with the messages already in `file` when it exists. */
  static async open(options: { file?: string; print?: (line: string) => void } = {}): Promise<LocalOutbox> {
    const outbox = new LocalOutbox(options.file, options.print ?? ((line) => console.log(line)));
    if (options.file) {
      const text = await readFile(options.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return '';
        throw error;
      });
      for (const line of text.split('\n')) {
        if (line.trim()) outbox.messages.push(JSON.parse(line) as OutboxMessage);
      }
    }
    return outbox;
  }

  async send(notification: Notification): Promise<void> {
    const sentAt = new Date().toISOString();
    const sent = notification.to.map(
      (to): OutboxMessage => ({
        id: randomUUID(),
        to,
        // What SNS would deliver: the same subject rules.
        subject: emailSubject(notification.subject),
        text: notification.text,
        links: [...(notification.links ?? [])],
        sentAt,
      }),
    );
    this.messages.push(...sent);
    for (const message of sent) {
      this.print(`✉ ${message.to}: ${message.subject}`);
      for (const link of message.links) this.print(`    ${link}`);
    }
    const file = this.file;
    if (file) {
      const lines = sent.map((message) => `${JSON.stringify(message)}\n`).join('');
      const write = this.writes.then(() => appendFile(file, lines, { mode: 0o600 }));
      this.writes = write.catch(() => undefined);
      await write;
    }
  }

  /** Every message, oldest first. */
  list(): readonly OutboxMessage[] {
    return [...this.messages];
  }

  /** Resolves once every message is on disk. */
  async flush(): Promise<void> {
    await this.writes;
  }
}
