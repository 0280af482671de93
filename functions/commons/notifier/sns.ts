import type { PublishBatchRequestEntry, SNSClient } from '@aws-sdk/client-sns';
import {
  type EmailSubscription,
  type EmailSubscriptions,
  type Notification,
  type Notifier,
  recipientFilterPolicy,
} from './port.ts';
import { emailSubject } from './subject.ts';

export { emailSubject, MAX_SUBJECT } from './subject.ts';

const BATCH = 10;

type Sdk = typeof import('./sns-client.ts');
let sdk: Promise<Sdk> | undefined;

/** The SNS client code, loaded on the first call (once per container), not at load. */
function loadSdk(): Promise<Sdk> {
  sdk ??= import('./sns-client.ts');
  return sdk;
}

/** A client on first use: the one given, else one built once the SNS code is loaded. */
class LazySnsClient {
  constructor(private client?: SNSClient) {}

  async get(): Promise<Sdk & { client: SNSClient }> {
    const loaded = await loadSdk();
    this.client ??= loaded.newSnsClient();
    return { ...loaded, client: this.client };
  }
}

/**
 * Email over SNS: one message per recipient, with a `recipient` message attribute. Every email
 * subscription of the topic has a filter policy on that attribute, so each person receives the
 * messages (and the signed links) meant for them alone.
 */
export class SnsNotifier implements Notifier {
  private readonly sns: LazySnsClient;

  constructor(
    private readonly topicArn: string,
    client?: SNSClient,
  ) {
    this.sns = new LazySnsClient(client);
  }

  async send(notification: Notification): Promise<void> {
    const { client, PublishBatchCommand } = await this.sns.get();
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
      const { Failed } = await client.send(
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

/** What ListSubscriptionsByTopic shows instead of an ARN for a subscription not confirmed yet. */
const PENDING = 'PendingConfirmation';

/**
 * The topic's email subscriptions in SNS: one per address, filtered on its `recipient` message
 * attribute, so that each person receives the messages (and the signed links) meant for them.
 */
export class SnsSubscriptions implements EmailSubscriptions {
  private readonly sns: LazySnsClient;

  constructor(
    private readonly topicArn: string,
    client?: SNSClient,
  ) {
    this.sns = new LazySnsClient(client);
  }

  /**
   * `Subscribe` is idempotent in SNS for the same endpoint and attributes: it returns the
   * existing subscription, and sends a pending one a new confirmation email. A subscription of
   * the address made with other attributes (by hand, say) is found and reported as it is.
   */
  async subscribe(address: string): Promise<EmailSubscription> {
    const endpoint = address.trim().toLowerCase();
    const { client, SubscribeCommand, InvalidParameterException, GetSubscriptionAttributesCommand } =
      await this.sns.get();
    let subscriptionArn: string | undefined;
    try {
      ({ SubscriptionArn: subscriptionArn } = await client.send(
        new SubscribeCommand({
          TopicArn: this.topicArn,
          Protocol: 'email',
          Endpoint: endpoint,
          Attributes: { FilterPolicy: JSON.stringify(recipientFilterPolicy(endpoint)) },
          ReturnSubscriptionArn: true,
        }),
      ));
    } catch (error) {
      if (!(error instanceof InvalidParameterException) || !/already exists/i.test(error.message))
        throw error;
      const existing = (await this.list()).find((subscription) => subscription.address === endpoint);
      if (!existing) throw error;
      return existing;
    }
    if (!subscriptionArn) throw new Error(`SNS returned no subscription for ${endpoint}`);
    const { Attributes } = await client.send(
      new GetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn }),
    );
    return {
      address: endpoint,
      state: Attributes?.PendingConfirmation === 'false' ? 'confirmed' : 'pending_confirmation',
      subscriptionArn,
    };
  }

  async unsubscribe(subscriptionArn: string): Promise<void> {
    const { client, UnsubscribeCommand, NotFoundException } = await this.sns.get();
    await client.send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn })).catch((error) => {
      if (!(error instanceof NotFoundException)) throw error;
    });
  }

  async list(): Promise<EmailSubscription[]> {
    const { client, ListSubscriptionsByTopicCommand } = await this.sns.get();
    const byAddress = new Map<string, EmailSubscription>();
    let NextToken: string | undefined;
    do {
      const page = await client.send(
        new ListSubscriptionsByTopicCommand({ TopicArn: this.topicArn, NextToken }),
      );
      for (const subscription of page.Subscriptions ?? []) {
        const arn = subscription.SubscriptionArn;
        if (subscription.Protocol !== 'email' || !subscription.Endpoint || !arn || arn === 'Deleted')
          continue;
        const address = subscription.Endpoint.toLowerCase();
        const found: EmailSubscription =
          arn === PENDING
            ? { address, state: 'pending_confirmation' }
            : { address, state: 'confirmed', subscriptionArn: arn };
        // An address subscribed twice (by hand) counts as confirmed when either is.
        if (byAddress.get(address)?.state !== 'confirmed') byAddress.set(address, found);
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return [...byAddress.values()];
  }
}
