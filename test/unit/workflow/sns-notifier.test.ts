import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { emailSubject, SnsNotifier } from '../../../functions/commons/notifier/sns.ts';

const sns = mockClient(SNSClient);
const topicArn = 'arn:aws:sns:eu-west-1:123456789012:Notifications';

describe('SNS notifier', () => {
  beforeEach(() => {
    sns.reset();
  });

  it('publishes one message per recipient, each with its lower-cased address as the recipient attribute', async () => {
    // Prepare
    sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
    const notifier = new SnsNotifier(topicArn, new SNSClient({}));

    // Act
    await notifier.send({
      to: ['Ana@Example.com', 'bo@example.com'],
      subject: 'Decide',
      text: 'Body with a link',
    });

    // Assess
    expect(sns).toReceiveCommandTimes(PublishBatchCommand, 1);
    expect(sns).toReceiveCommandWith(PublishBatchCommand, {
      TopicArn: topicArn,
      PublishBatchRequestEntries: [
        {
          Id: 'm0',
          Subject: 'Decide',
          Message: 'Body with a link',
          MessageAttributes: { recipient: { DataType: 'String', StringValue: 'ana@example.com' } },
        },
        {
          Id: 'm1',
          Subject: 'Decide',
          Message: 'Body with a link',
          MessageAttributes: { recipient: { DataType: 'String', StringValue: 'bo@example.com' } },
        },
      ],
    });
  });

  it('sends batches of at most ten and names the recipients SNS refused', async () => {
    // Prepare
    sns
      .on(PublishBatchCommand)
      .resolvesOnce({ Failed: [{ Id: 'm3', Code: 'Throttled', SenderFault: false, Message: 'slow down' }] })
      .resolves({});
    const notifier = new SnsNotifier(topicArn, new SNSClient({}));
    const to = Array.from({ length: 12 }, (_, i) => `p${i}@example.com`);

    // Act
    const sent = notifier.send({ to, subject: 'Alert', text: 'Alert' });

    // Assess
    await expect(sent).rejects.toThrow('SNS refused 1 of 12 messages: p3@example.com: Throttled slow down');
    expect(sns).toReceiveCommandTimes(PublishBatchCommand, 2);
    const sizes = sns
      .commandCalls(PublishBatchCommand)
      .map((call) => call.args[0].input.PublishBatchRequestEntries?.length);
    expect(sizes).toEqual([10, 2]);
  });

  it('keeps email subjects within what SNS accepts: one line, at most 100 characters', () => {
    expect(emailSubject('Line one\nline two')).toBe('Line one line two');
    const long = emailSubject('x'.repeat(150));
    expect(long).toHaveLength(100);
    expect(long.endsWith('…')).toBe(true);
  });
});
