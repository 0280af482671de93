import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../bin/vigil.ts';
import { cdkApp } from './app.ts';

describe('scheduled evaluations (CDK)', () => {
  let service: Template;

  beforeAll(() => {
    const built = buildApp(cdkApp({ 'aws:cdk:bundling-stacks': [] }));
    service = Template.fromStack(built.service);
  });

  function logicalId(type: string, description: RegExp): string {
    const found = Object.entries(service.findResources(type)).filter(([, r]) =>
      description.test(String(r.Properties?.Description ?? '')),
    );
    expect(found).toHaveLength(1);
    return (found[0] as [string, unknown])[0];
  }

  it('invokes the scheduled evaluation every minute through EventBridge Scheduler, with retries', () => {
    const fn = logicalId('AWS::Lambda::Function', /^Scheduled evaluation/);
    service.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Target: {
        Arn: { 'Fn::GetAtt': [fn, 'Arn'] },
        RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EvaluationSchedulerRole'), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 },
      },
    });
  });

  it("lets the scheduler's role invoke that function only, and only scheduler.amazonaws.com of this account assume it", () => {
    const fn = logicalId('AWS::Lambda::Function', /^Scheduled evaluation/);
    service.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': Match.anyValue() } },
          }),
        ],
      },
    });
    const policies = Object.values(service.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes('EvaluationSchedulerRole'),
    );
    const statements = policies.flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[],
    );
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      expect(statement.Action).toBe('lambda:InvokeFunction');
      for (const resource of [statement.Resource].flat()) {
        expect(JSON.stringify(resource)).toContain(fn);
      }
    }
  });

  it('gives the evaluation functions the tables they need, and no more', () => {
    for (const description of [/^Scheduled evaluation/, /^Evaluations API/]) {
      const fn = logicalId('AWS::Lambda::Function', description);
      const role = service.findResources('AWS::Lambda::Function')[fn]?.Properties.Role['Fn::GetAtt'][0];
      const policies = Object.values(service.findResources('AWS::IAM::Policy')).filter(
        (p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role }]),
      );
      const actions = policies.flatMap((p) =>
        (p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) =>
          [s.Action].flat(),
        ),
      );
      expect(actions).toEqual(
        expect.arrayContaining(['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem']),
      );
      expect(actions).not.toContain('dynamodb:Scan');
      expect(actions).not.toContain('dynamodb:*');
      expect(
        service.findResources('AWS::Lambda::Function')[fn]?.Properties.Environment.Variables,
      ).toMatchObject({
        GOVERNANCE_TABLE: expect.anything(),
        TELEMETRY_TABLE: expect.anything(),
        PUBLIC_URL: expect.anything(),
      });
    }
  });

  it('lets the evaluation functions compact telemetry buckets, and keeps the reports read-only', () => {
    const telemetryActions = (description: RegExp) => {
      const fn = logicalId('AWS::Lambda::Function', description);
      const role = service.findResources('AWS::Lambda::Function')[fn]?.Properties.Role['Fn::GetAtt'][0];
      return Object.values(service.findResources('AWS::IAM::Policy'))
        .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role }]))
        .flatMap(
          (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
        )
        .filter((statement) => JSON.stringify(statement.Resource).includes('Telemetry'))
        .flatMap((statement) => [statement.Action].flat());
    };
    for (const description of [/^Scheduled evaluation/, /^Evaluations API/]) {
      expect(telemetryActions(description)).toEqual(
        expect.arrayContaining([
          'dynamodb:Query',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:BatchWriteItem',
        ]),
      );
    }
    const reports = telemetryActions(/^Reports/);
    expect(reports).toContain('dynamodb:Query');
    expect(reports.filter((action) => /Put|Update|Delete|Write/.test(action))).toEqual([]);
  });

  it('lists and reads evaluations in a function of their own that reads the governance table and nothing else', () => {
    const fn = logicalId('AWS::Lambda::Function', /^Evaluation reads API/);
    const resource = service.findResources('AWS::Lambda::Function')[fn];
    const role = resource?.Properties.Role['Fn::GetAtt'][0];
    const statements = Object.values(service.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role }]))
      .flatMap(
        (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
      );
    const actions = statements.flatMap((statement) => [statement.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
    const dynamo = statements.filter((statement) =>
      [statement.Action].flat().some((a) => a.startsWith('dynamodb:')),
    );
    expect(dynamo.length).toBeGreaterThan(0);
    for (const statement of dynamo) {
      const allowed = [statement.Action].flat().filter((a) => /Put|Update|Delete|Write|PartiQL/.test(a));
      // The only write action in its policies is the deny every function has on chains of events.
      if (allowed.length > 0) expect(JSON.stringify(statement)).toContain('"Effect":"Deny"');
      expect(JSON.stringify(statement.Resource)).not.toContain('Telemetry');
    }
    // No workflow, notifications, webhook queue or signing key: a read starts, sends and signs
    // nothing. The table's encryption key decrypts what it reads.
    expect(actions.filter((a) => /^(states|sns|sqs|secretsmanager):/.test(a))).toEqual([]);
    expect(actions.filter((a) => a.startsWith('kms:')).sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
    expect(resource?.Properties.Environment.Variables).toMatchObject({ GOVERNANCE_TABLE: expect.anything() });
    expect(resource?.Properties.Environment.Variables).not.toHaveProperty('TELEMETRY_TABLE');
    expect(resource?.Properties.Environment.Variables).not.toHaveProperty('SIGNING_SECRET_ARN');
  });
});
