import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../bin/vigil.ts';

type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

/** Outbound webhooks in AWS: the queue, its dead-letter queue, the delivery function and who may send. */
describe('webhooks (CDK)', () => {
  let built: ReturnType<typeof buildApp>;
  let data: Template;
  let service: Template;

  beforeAll(() => {
    built = buildApp(new App({ context: { 'vigil:region': 'eu-west-1', 'aws:cdk:bundling-stacks': [] } }));
    built.app.synth();
    data = Template.fromStack(built.data);
    service = Template.fromStack(built.service);
  });

  function functionId(description: RegExp): string {
    const found = Object.entries(service.findResources('AWS::Lambda::Function')).filter(([, r]) =>
      description.test(String(r.Properties?.Description ?? '')),
    );
    expect(found, String(description)).toHaveLength(1);
    return (found[0] as [string, unknown])[0];
  }

  function statementsOf(fn: string): Statement[] {
    const role = JSON.stringify(
      service.findResources('AWS::Lambda::Function')[fn]?.Properties.Role['Fn::GetAtt'][0],
    );
    return Object.values(service.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(role))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
  }

  const queueId = (prefix: string) => {
    const ids = Object.keys(data.findResources('AWS::SQS::Queue')).filter((id) => id.startsWith(prefix));
    expect(ids).toHaveLength(1);
    return ids[0] as string;
  };
  const sqsActions = (statements: Statement[]) =>
    statements.flatMap((s) => [s.Action].flat()).filter((action) => action.startsWith('sqs:'));

  it('keeps a queue and a dead-letter queue, both encrypted with the data key and TLS-only', () => {
    // Act
    const queues = data.findResources('AWS::SQS::Queue');
    const queue = queues[queueId('WebhookQueue')]?.Properties;
    const dead = queueId('WebhookDeadLetters');

    // Assess
    expect(Object.keys(queues)).toHaveLength(2);
    for (const q of Object.values(queues)) {
      expect(q.Properties.KmsMasterKeyId).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/^DataKey/), 'Arn'],
      });
      expect(q.DeletionPolicy).toBe('Retain');
    }
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [dead, 'Arn'] },
      maxReceiveCount: 5,
    });
    // Six times the delivery function's timeout, as Lambda's SQS event source asks.
    expect(queue.VisibilityTimeout).toBe(360);
    expect(queues[dead]?.Properties.MessageRetentionPeriod).toBe(14 * 86400);
    const policies = Object.values(data.findResources('AWS::SQS::QueuePolicy'));
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 'sqs:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  it('feeds the delivery function from the queue, reporting failed messages one by one', () => {
    // Act
    const delivery = functionId(/^Webhook queue consumer/);

    // Assess
    service.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: delivery },
      EventSourceArn: { 'Fn::ImportValue': Match.stringLikeRegexp('WebhookQueue') },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    service.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    service.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::ImportValue': Match.stringLikeRegexp('WebhookDeadLetters') } },
      ],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ 'Fn::ImportValue': Match.stringLikeRegexp('Operations') }],
    });
    const env = service.findResources('AWS::Lambda::Function')[delivery]?.Properties.Environment.Variables;
    expect(env.WEBHOOK_QUEUE_URL).toEqual({ 'Fn::ImportValue': expect.stringMatching(/WebhookQueue/) });
    expect(env.VIGIL_WEBHOOKS_ALLOW_LOOPBACK).toBeUndefined();
    expect(env.PUBLIC_URL).toBeDefined();
    expect(new Set(sqsActions(statementsOf(delivery)))).toEqual(
      new Set([
        'sqs:ReceiveMessage',
        'sqs:ChangeMessageVisibility',
        'sqs:GetQueueUrl',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:SendMessage',
      ]),
    );
  });

  it('lets the publishing functions send to the queue and nothing else of it; no other function touches it', () => {
    // Prepare
    const publishers = [
      /^Ingest API/,
      /^Incident API/,
      /^Evaluations API/,
      /^Scheduled evaluation/,
      /^Governance workflow: human step/,
      /^Governance workflow: promotion/,
      /^Pages opened from emails/,
      /^Outbound webhooks API/,
    ].map(functionId);
    const delivery = functionId(/^Webhook queue consumer/);

    // Act
    const all = Object.keys(service.findResources('AWS::Lambda::Function'));

    // Assess
    for (const fn of publishers) {
      const statements = statementsOf(fn);
      expect(sqsActions(statements), fn).toEqual(['sqs:SendMessage']);
      expect(statements).toContainEqual({
        Effect: 'Allow',
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: expect.anything(),
        Condition: { StringEquals: { 'kms:ViaService': 'sqs.eu-west-1.amazonaws.com' } },
      });
    }
    for (const fn of all.filter((id) => !publishers.includes(id) && id !== delivery)) {
      expect(sqsActions(statementsOf(fn)), fn).toEqual([]);
      const env = service.findResources('AWS::Lambda::Function')[fn]?.Properties.Environment?.Variables ?? {};
      expect(env.WEBHOOK_QUEUE_URL, fn).toBeUndefined();
    }
  });

  it('grants the webhook functions their items only, and passes cdk-nag', () => {
    // Act
    const api = statementsOf(functionId(/^Outbound webhooks API/));
    const delivery = statementsOf(functionId(/^Webhook queue consumer/));
    const keysOf = (statements: Statement[], action: string) =>
      statements
        .filter((s) => s.Effect === 'Allow' && [s.Action].flat().includes(action))
        .map((s) => s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']);

    // Assess
    expect(keysOf(api, 'dynamodb:PutItem')).toEqual([['WEBHOOK#*', 'WEBHOOKS']]);
    expect(keysOf(delivery, 'dynamodb:PutItem')).toEqual([['WEBHOOK#*#FAILURES']]);
    expect(keysOf(delivery, 'dynamodb:GetItem')).toEqual([['WEBHOOK#*']]);
    // cdk-nag runs in the synth, and an unacknowledged finding fails it.
    expect(() =>
      buildApp(
        new App({ context: { 'vigil:region': 'eu-west-1', 'aws:cdk:bundling-stacks': [] } }),
      ).app.synth(),
    ).not.toThrow();
  });
});
