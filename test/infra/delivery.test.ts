import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../bin/vigil.ts';

type Statement = { Action: string | string[]; Resource: unknown };

/** Approvers' subscriptions: who may manage them, and the scheduled refresh of their states. */
describe('approver subscriptions (CDK)', () => {
  let service: Template;

  beforeAll(() => {
    const built = buildApp(
      new App({ context: { 'vigil:region': 'eu-west-1', 'aws:cdk:bundling-stacks': [] } }),
    );
    service = Template.fromStack(built.service);
  });

  function functionId(description: RegExp): string {
    const found = Object.entries(service.findResources('AWS::Lambda::Function')).filter(([, r]) =>
      description.test(String(r.Properties?.Description ?? '')),
    );
    expect(found).toHaveLength(1);
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

  const snsStatements = (statements: Statement[]) =>
    statements.filter((s) => [s.Action].flat().some((action) => action.startsWith('sns:')));

  it('lets the registry function subscribe, unsubscribe and read subscriptions of the notifications topic only', () => {
    // Act
    const registry = functionId(/^Model registry/);
    const statements = snsStatements(statementsOf(registry));

    // Assess
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'sns:Subscribe',
          'sns:Unsubscribe',
          'sns:ListSubscriptionsByTopic',
          'sns:GetSubscriptionAttributes',
        ],
        Resource: expect.objectContaining({ 'Fn::ImportValue': expect.stringMatching(/Notifications/) }),
      },
    ]);
    const env = service.findResources('AWS::Lambda::Function')[registry]?.Properties.Environment.Variables;
    expect(env.NOTIFICATIONS_TOPIC_ARN).toEqual(statements[0]?.Resource);
  });

  it('refreshes subscription states every five minutes with a function that may publish and manage that topic only', () => {
    // Act
    const refresh = functionId(/^Scheduled: approvers' subscription states/);
    const statements = snsStatements(statementsOf(refresh));

    // Assess
    service.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(5 minutes)',
      Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [refresh, 'Arn'] } }),
    });
    expect(statements.flatMap((s) => [s.Action].flat()).sort()).toEqual([
      'sns:GetSubscriptionAttributes',
      'sns:ListSubscriptionsByTopic',
      'sns:Publish',
      'sns:Subscribe',
      'sns:Unsubscribe',
    ]);
    for (const statement of statements) {
      expect(statement.Resource).toEqual(
        expect.objectContaining({ 'Fn::ImportValue': expect.stringMatching(/Notifications/) }),
      );
    }
  });
});
