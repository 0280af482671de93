import {
  GetSubscriptionAttributesCommand,
  InvalidParameterException,
  ListSubscriptionsByTopicCommand,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestDynamoDb, type TestDynamoDb, useLocalDynamoDb } from '../support/dynalite.ts';

const topicArn = 'arn:aws:sns:eu-west-1:123456789012:Notifications';
const arnOf = (address: string) => `${topicArn}:${address.replace(/\W/g, '-')}`;
const sns = mockClient(SNSClient);

/** Approvers of every role, the Data Science Lead and QA as given. */
function approvers(dataScienceLead: string[], qa: string[]) {
  const other = ['shared@example.com'];
  return {
    dataScienceLead,
    devTeam: other,
    qa,
    irbLiaison: other,
    legal: other,
    mlops: other,
    operations: other,
    support: other,
  };
}

/**
 * The registry's subscriptions on the SNS adapter (aws-sdk-client-mock), with the delivery
 * records on dynalite: one filtered email subscription per address across models, removal of
 * addresses no model names, states read from the topic.
 */
describe('approver subscriptions on SNS', () => {
  let db: TestDynamoDb;
  let registry: typeof import('../../functions/commons/registry/store.ts');
  let schema: typeof import('../../functions/commons/registry/schema.ts');
  let delivery: typeof import('../../functions/commons/delivery/subscriptions.ts');

  async function register(modelId: string, roles: ReturnType<typeof approvers>) {
    const input = schema.modelInputSchema.parse({
      name: modelId,
      owner: 'ds@example.com',
      task: 'classification',
      features: [{ name: 'age', type: 'numerical' }],
      approvers: roles,
    });
    const { model, previous } = await registry.putModel(modelId, input);
    return delivery.followApprovers(model, previous);
  }

  /** The topic lists these subscriptions, over two pages. */
  function topicLists(subscriptions: { address: string; confirmed: boolean }[]) {
    const listed = subscriptions.map(({ address, confirmed }) => ({
      TopicArn: topicArn,
      Protocol: 'email',
      Endpoint: address,
      SubscriptionArn: confirmed ? arnOf(address) : 'PendingConfirmation',
    }));
    const half = Math.ceil(listed.length / 2);
    sns
      .on(ListSubscriptionsByTopicCommand, { TopicArn: topicArn, NextToken: undefined })
      .resolves({ Subscriptions: listed.slice(0, half), NextToken: 'page-2' })
      .on(ListSubscriptionsByTopicCommand, { TopicArn: topicArn, NextToken: 'page-2' })
      .resolves({
        Subscriptions: [
          ...listed.slice(half),
          {
            TopicArn: topicArn,
            Protocol: 'sqs',
            Endpoint: 'arn:aws:sqs:eu-west-1:123456789012:q',
            SubscriptionArn: `${topicArn}:q`,
          },
        ],
      });
  }

  beforeAll(async () => {
    db = await startTestDynamoDb();
    useLocalDynamoDb(db.endpoint, db.tableNames);
    registry = await import('../../functions/commons/registry/store.ts');
    schema = await import('../../functions/commons/registry/schema.ts');
    delivery = await import('../../functions/commons/delivery/subscriptions.ts');
    const { configureSubscriptions } = await import('../../functions/commons/notifier/index.ts');
    const { SnsSubscriptions } = await import('../../functions/commons/notifier/sns.ts');
    configureSubscriptions(new SnsSubscriptions(topicArn, new SNSClient({ region: 'eu-west-1' })));
  });
  afterAll(async () => db?.close());

  beforeEach(() => {
    sns.reset();
    sns
      .on(SubscribeCommand)
      .callsFake((input: { Endpoint: string }) => ({ SubscriptionArn: arnOf(input.Endpoint) }))
      .on(GetSubscriptionAttributesCommand)
      .resolves({ Attributes: { PendingConfirmation: 'true' } })
      .on(UnsubscribeCommand)
      .resolves({});
  });

  it('subscribes each address once across models, lower-cased, filtered on its own recipient attribute', async () => {
    // Act
    const first = await register('sub-a', approvers(['Ana@Example.com'], ['qa-a@example.com']));
    const second = await register('sub-b', approvers(['ana@example.com'], ['qa-b@example.com']));

    // Assess
    const subscribed = sns.commandCalls(SubscribeCommand).map((call) => call.args[0].input);
    expect(subscribed).toEqual(
      ['ana@example.com', 'shared@example.com', 'qa-a@example.com', 'qa-b@example.com'].map((address) => ({
        TopicArn: topicArn,
        Protocol: 'email',
        Endpoint: address,
        Attributes: { FilterPolicy: JSON.stringify({ recipient: [address] }) },
        ReturnSubscriptionArn: true,
      })),
    );
    expect(subscribed[0]?.Attributes?.FilterPolicy).toBe('{"recipient":["ana@example.com"]}');
    expect(first).toEqual({
      'ana@example.com': 'pending_confirmation',
      'shared@example.com': 'pending_confirmation',
      'qa-a@example.com': 'pending_confirmation',
    });
    expect(second['ana@example.com']).toBe('pending_confirmation');
  });

  it('unsubscribes an address no model names any more, and keeps one another model still names', async () => {
    // Prepare
    await register('rel-a', approvers(['only-a@example.com'], ['both@example.com']));
    await register('rel-b', approvers(['b@example.com'], ['both@example.com']));
    sns.resetHistory();

    // Act: rel-a drops both of its own addresses.
    await register('rel-a', approvers(['b@example.com'], ['b@example.com']));

    // Assess
    expect(sns).toReceiveCommandTimes(UnsubscribeCommand, 1);
    expect(sns).toReceiveCommandWith(UnsubscribeCommand, { SubscriptionArn: arnOf('only-a@example.com') });
    expect(sns).not.toReceiveCommand(SubscribeCommand);
  });

  it('reads each address state from the topic: confirmed, pending, or gone (unsubscribed)', async () => {
    // Prepare
    const model = {
      approvers: approvers(['read-1@example.com', 'read-2@example.com'], ['read-3@example.com']),
    };
    await register('read', model.approvers);
    topicLists([
      { address: 'read-1@example.com', confirmed: true },
      { address: 'shared@example.com', confirmed: true },
      { address: 'read-3@example.com', confirmed: false },
    ]);

    // Act
    const states = await delivery.deliveryOf(model);

    // Assess
    expect(states).toEqual({
      'read-1@example.com': 'confirmed',
      'read-2@example.com': 'unsubscribed',
      'shared@example.com': 'confirmed',
      'read-3@example.com': 'pending_confirmation',
    });
    expect(sns).toReceiveCommandTimes(ListSubscriptionsByTopicCommand, 2);
  });

  it('resends confirmations to the addresses that are not confirmed only', async () => {
    // Prepare
    const model = { approvers: approvers(['rs-1@example.com'], ['rs-2@example.com']) };
    await register('resend', model.approvers);
    topicLists([
      { address: 'rs-1@example.com', confirmed: true },
      { address: 'shared@example.com', confirmed: true },
      { address: 'rs-2@example.com', confirmed: false },
    ]);
    sns.resetHistory();

    // Act
    const { resent } = await delivery.resendConfirmations(model);

    // Assess
    expect(resent).toEqual(['rs-2@example.com']);
    expect(sns).toReceiveCommandTimes(SubscribeCommand, 1);
    expect(sns).toReceiveCommandWith(SubscribeCommand, { Endpoint: 'rs-2@example.com' });
  });

  it('on refresh, reports addresses newly confirmed (once) and confirmed ones that are gone', async () => {
    // Prepare: every address any model names is pending, then two of them confirm.
    const all = ['ana@example.com', 'shared@example.com', 'qa-a@example.com', 'qa-b@example.com'];
    topicLists(all.map((address) => ({ address, confirmed: false })));
    await delivery.refreshSubscriptions();
    topicLists(all.map((address) => ({ address, confirmed: address.startsWith('qa-') })));

    // Act
    const confirmed = await delivery.refreshSubscriptions();
    const { markCaughtUp } = await import('../../functions/commons/delivery/store.ts');
    for (const record of confirmed.confirmed)
      await markCaughtUp(record.address, record.confirmedAt as string);
    const again = await delivery.refreshSubscriptions();
    topicLists(
      all
        .filter((address) => address !== 'qa-a@example.com')
        .map((address) => ({ address, confirmed: address.startsWith('qa-') })),
    );
    const gone = await delivery.refreshSubscriptions();

    // Assess
    expect(confirmed.confirmed.map((r) => r.address).sort()).toEqual([
      'qa-a@example.com',
      'qa-b@example.com',
    ]);
    expect(again.confirmed).toEqual([]);
    expect(gone.lost.map((r) => [r.address, r.state])).toEqual([['qa-a@example.com', 'unsubscribed']]);
  });

  it('subscribes on the next refresh an address whose subscription failed at registration', async () => {
    // Prepare
    sns.on(SubscribeCommand).rejectsOnce(new Error('Rate exceeded'));
    const failed = register('late', approvers(['late@example.com'], ['late@example.com']));
    await expect(failed).rejects.toThrow('Rate exceeded');
    topicLists([]);
    sns
      .on(SubscribeCommand)
      .callsFake((input: { Endpoint: string }) => ({ SubscriptionArn: arnOf(input.Endpoint) }));

    // Act
    await delivery.refreshSubscriptions();

    // Assess
    expect(sns).toReceiveCommandWith(SubscribeCommand, {
      Endpoint: 'late@example.com',
      Attributes: { FilterPolicy: '{"recipient":["late@example.com"]}' },
    });
    const { getSubscriber } = await import('../../functions/commons/delivery/store.ts');
    expect(await getSubscriber('late@example.com')).toMatchObject({ state: 'pending_confirmation' });
  });

  it('finds a subscription of the address made with other attributes instead of failing', async () => {
    // Prepare
    sns.on(SubscribeCommand).rejects(
      new InvalidParameterException({
        message:
          'Invalid parameter: Attributes Reason: Subscription already exists with different attributes',
        $metadata: {},
      }),
    );
    topicLists([{ address: 'hand@example.com', confirmed: true }]);
    const { SnsSubscriptions } = await import('../../functions/commons/notifier/sns.ts');

    // Act
    const found = await new SnsSubscriptions(topicArn, new SNSClient({ region: 'eu-west-1' })).subscribe(
      'Hand@example.com',
    );

    // Assess
    expect(found).toEqual({
      address: 'hand@example.com',
      state: 'confirmed',
      subscriptionArn: arnOf('hand@example.com'),
    });
  });
});
