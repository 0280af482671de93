import { PublishBatchCommand, type PublishBatchRequestEntry, SNSClient } from '@aws-sdk/client-sns';
import type { Notification, Notifier } from './port.ts';
import { emailSubject } from './subject.ts';

export { emailSubject, MAX_SUBJECT } from './subject.ts';

const BATCH = 10;

/**
 * Email over SNS: one message per recipient, with a `recipient` message attribute. Every email
 * subscription of the topic has a filter policy on that attribute, so each person receives the
 * messages (and the signed links) meant for them alone.
 */
export class SnsNotifier implements Notifier {
  private readonly client: SNSClient;

  constructor(
    private readonly topicArn: string,
    client?: SNSClient,
  ) {
    this.client = client ?? new SNSClient({});
  }

  async send(notification: Notification): Promise<void> {
    const entries: PublishBatchRequestEntry[] = notification.to.map((recipient, i) => ({
      Id: `m${i}`,
      Subject: emailSubject(notification.subject),
      Message: notification.text,
      // Subscriptions filter on the lower-cased address (see the stateful stack).
      MessageAttributes: { recipient: { DataType: 'String', StringValue: recipient.toLowerCase() } },
    }));
    const failed: string[] = [];
    for (let i = 0; i < entries.length; i += BATCH) {
      const batch = entries.slice(i, i + BATCH);
      const { Failed } = await this.client.send(
        new PublishBatchCommand({ TopicArn: this.topicArn, PublishBatchRequestEntries: batch }),
      );
      for (const failure of Failed ?? []) {
        const recipient = batch.find((entry) => entry.Id === failure.Id)?.MessageAttributes?.recipient;
        failed.push(
          `${recipient?.StringValue ?? failure.Id}: ${failure.Code ?? 'error'} ${failure.Message ?? ''}`,
        );
      }
    }
    if (failed.length > 0) {
      throw new Error(`SNS refused ${failed.length} of ${entries.length} messages: ${failed.join('; ')}`);
    }
  }
}
