import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../bin/vigil.ts';
import { functionCatalog } from '../../lib/functions.ts';
import {
  baselineReviewDefinitionFile,
  baselineReviewFunctions,
  governanceDefinitionFile,
  governanceEventBusPlaceholder,
  governanceFunctions,
  substituteDefinition,
} from '../../lib/workflow.ts';
import { cdkApp } from './app.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
/** asl-validator 4 ships no types; its one export validates a definition. */
const aslValidator = createRequire(import.meta.url)('asl-validator') as (definition: unknown) => {
  isValid: boolean;
  errorsText: (separator?: string) => string;
};
const approvers = {
  dataScienceLead: ['dsl@example.com', 'Lead@Example.com'],
  qa: ['qa@example.com', 'dsl@example.com'],
  mlops: ['mlops@example.com'],
};

/** The app without Lambda bundling (the bundles are checked on their own below). */
function synth(context: Record<string, unknown>) {
  const built = buildApp(cdkApp({ 'aws:cdk:bundling-stacks': [], ...context }));
  return { data: Template.fromStack(built.data), service: Template.fromStack(built.service) };
}

function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids, `${type} ${prefix}`).toHaveLength(1);
  return ids[0] as string;
}

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

function statementsOf(template: Template, rolePrefix: string): Statement[] {
  const role = logicalId(template, 'AWS::IAM::Role', rolePrefix);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(role))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

function envOf(template: Template, functionPrefix: string): Record<string, unknown> {
  const id = logicalId(template, 'AWS::Lambda::Function', functionPrefix);
  return template.findResources('AWS::Lambda::Function')[id]?.Properties.Environment.Variables;
}

describe('governance workflow infrastructure', () => {
  let data: Template;
  let service: Template;
  beforeAll(() => {
    ({ data, service } = synth({
      'vigil:approvers': JSON.stringify(approvers),
      'vigil:publicUrl': 'https://vigil.example.com',
    }));
  });

  it('loads the state machine from its ASL file, logged (ALL, no execution data) and traced', () => {
    const approval = logicalId(service, 'AWS::Lambda::Function', 'WorkflowApprovalFunction');
    const steps = logicalId(service, 'AWS::Lambda::Function', 'WorkflowStepsFunction');
    const records = logicalId(service, 'AWS::Lambda::Function', 'WorkflowRecordsFunction');
    service.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      DefinitionS3Location: Match.objectLike({ Key: Match.stringLikeRegexp('\\.json$') }),
      DefinitionSubstitutions: {
        ApprovalRequestFunctionArn: { 'Fn::GetAtt': [approval, 'Arn'] },
        StepsFunctionArn: { 'Fn::GetAtt': [steps, 'Arn'] },
        RecordsFunctionArn: { 'Fn::GetAtt': [records, 'Arn'] },
        [governanceEventBusPlaceholder]: 'default',
      },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: Match.anyValue() } }],
      },
      TracingConfiguration: { Enabled: true },
    });
  });

  it('passes asl-validator with the substitutions the stack makes', () => {
    const definition = JSON.parse(
      substituteDefinition(readFileSync(governanceDefinitionFile, 'utf8'), {
        ...Object.fromEntries(
          Object.entries(governanceFunctions).map(([placeholder, id]) => [
            placeholder,
            `arn:aws:lambda:eu-west-1:123456789012:function:vigil-${id}`,
          ]),
        ),
        [governanceEventBusPlaceholder]: 'default',
      }),
    );
    const { isValid, errorsText } = aslValidator(definition);
    expect(errorsText('\n')).toBe('');
    expect(isValid).toBe(true);
  });

  it('lets the state machine invoke exactly its task functions and put events on the default bus', () => {
    const statements = statementsOf(service, 'GovernanceRole');
    const invoke = statements.filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'));
    expect(invoke).toHaveLength(1);
    expect(invoke[0]).toMatchObject({ Action: 'lambda:InvokeFunction', Effect: 'Allow' });
    // In any order: the feature flags sort a statement's resources.
    const functionArns = Object.values(governanceFunctions).map((id) => ({
      'Fn::GetAtt': [
        logicalId(service, 'AWS::Lambda::Function', `${id[0]?.toUpperCase()}${id.slice(1)}Function`),
        'Arn',
      ],
    }));
    expect(invoke[0]?.Resource).toHaveLength(functionArns.length);
    expect(invoke[0]?.Resource).toEqual(expect.arrayContaining(functionArns));
    const events = statements.find((s) => [s.Action].flat().includes('events:PutEvents'));
    expect(JSON.stringify(events?.Resource)).toContain(':event-bus/default');
    const wildcards = statements
      .filter((s) => JSON.stringify(s.Resource) === '"*"')
      .flatMap((s) => [s.Action].flat());
    expect(wildcards.every((action) => /^(logs|xray):/.test(action))).toBe(true);
  });

  it('gives the steps that read and record alone their keys of the table, and neither email nor the webhook queue', () => {
    const records = statementsOf(service, 'WorkflowRecordsRole').flatMap((s) => [s.Action].flat());
    expect(records).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']),
    );
    expect(records.filter((action) => /^(sns|sqs|secretsmanager|states):/.test(action))).toEqual([]);
    expect(Object.keys(envOf(service, 'WorkflowRecordsFunction'))).not.toContain('NOTIFICATIONS_TOPIC_ARN');
    const steps = statementsOf(service, 'WorkflowStepsRole').flatMap((s) => [s.Action].flat());
    expect(steps).toEqual(expect.arrayContaining(['sns:Publish', 'sqs:SendMessage']));
  });

  it('gives the decision pages and the candidate callback the task responses, and the openers the start', () => {
    for (const prefix of ['ApprovalsRole', 'IncidentsRole']) {
      const actions = statementsOf(service, prefix).flatMap((s) => [s.Action].flat());
      expect(actions, prefix).toEqual(
        expect.arrayContaining(['states:SendTaskSuccess', 'states:SendTaskFailure']),
      );
      expect(actions, prefix).not.toContain('states:StartExecution');
    }
    for (const prefix of ['EvaluationsRole', 'ScheduledEvaluationRole']) {
      const actions = statementsOf(service, prefix).flatMap((s) => [s.Action].flat());
      expect(actions, prefix).toEqual(expect.arrayContaining(['states:StartExecution', 'sns:Publish']));
    }
  });

  it("lets the scheduled tick apply agents' decisions, and keeps the signing key from the incident API", () => {
    // The tick resumes the task of a decision whose overrule window ended, and signs the links
    // that let people overrule; the incident API, which agents' keys reach, only records them.
    const tick = statementsOf(service, 'ScheduledEvaluationRole').flatMap((s) => [s.Action].flat());
    expect(tick).toEqual(
      expect.arrayContaining(['states:SendTaskSuccess', 'states:SendTaskFailure', 'sns:Publish']),
    );
    expect(Object.keys(envOf(service, 'ScheduledEvaluationFunction'))).toEqual(
      expect.arrayContaining(['SIGNING_SECRET_ARN', 'PUBLIC_URL', 'STATE_MACHINE_ARN']),
    );
    const incidents = statementsOf(service, 'IncidentsRole').flatMap((s) => [s.Action].flat());
    expect(incidents).not.toContain('sns:Publish');
    expect(incidents).not.toContain('secretsmanager:GetSecretValue');
  });

  it('bundles the incident API without the link signing, which would refuse to load without its key', async () => {
    const result = await build({
      entryPoints: [path.join(repoRoot, functionCatalog.incidents.entry)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain('functions/commons/agents/decide.ts');
    expect(inputs).not.toContain('functions/commons/approvals/signing.ts');
  });

  it('lets ingest start the workflow of an unapproved version, and the evaluations resume its revert', () => {
    const ingest = statementsOf(service, 'IngestRole').flatMap((s) => [s.Action].flat());
    expect(ingest).toContain('states:StartExecution');
    expect(ingest).not.toContain('states:SendTaskSuccess');
    expect(ingest).not.toContain('sns:Publish');
    expect(envOf(service, 'IngestFunction')).toMatchObject({ STATE_MACHINE_ARN: expect.anything() });
    const scheduled = statementsOf(service, 'ScheduledEvaluationRole').flatMap((s) => [s.Action].flat());
    expect(scheduled).toEqual(expect.arrayContaining(['states:SendTaskSuccess', 'states:StartExecution']));
    // An evaluation asked for on demand settles a revert too.
    const onDemand = statementsOf(service, 'EvaluationsRole').flatMap((s) => [s.Action].flat());
    expect(onDemand).toEqual(expect.arrayContaining(['states:SendTaskSuccess', 'states:StartExecution']));
  });

  it('lets the evaluations sign the alert links, and the pages opened from emails read the report', () => {
    const imported = (name: string) => ({ 'Fn::ImportValue': expect.stringContaining(name) });
    for (const prefix of ['EvaluationsFunction', 'ScheduledEvaluationFunction']) {
      expect(envOf(service, prefix), prefix).toMatchObject({
        SIGNING_SECRET_ARN: imported('ApprovalSigningSecret'),
        PUBLIC_URL: 'https://vigil.example.com',
      });
    }
    expect(envOf(service, 'ApprovalsFunction')).toMatchObject({
      SIGNING_SECRET_ARN: imported('ApprovalSigningSecret'),
      TELEMETRY_TABLE: imported('TelemetryTable'),
      PUBLIC_URL: 'https://vigil.example.com',
    });
    const telemetryReads = statementsOf(service, 'ApprovalsRole').filter((s) =>
      JSON.stringify(s.Resource).includes('TelemetryTable'),
    );
    expect(
      telemetryReads
        .flatMap((s) => s.Action)
        .filter((a) => a.startsWith('dynamodb:'))
        .sort(),
    ).toEqual(['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:Query']);
  });

  it('configures the functions of the workflow at deployment', () => {
    const stateMachine = { Ref: logicalId(service, 'AWS::StepFunctions::StateMachine', 'Governance') };
    const imported = (name: string) => ({ 'Fn::ImportValue': expect.stringContaining(name) });
    expect(envOf(service, 'WorkflowApprovalFunction')).toMatchObject({
      PUBLIC_URL: 'https://vigil.example.com',
      SIGNING_SECRET_ARN: imported('ApprovalSigningSecret'),
      NOTIFICATIONS_TOPIC_ARN: imported('Notifications'),
      GOVERNANCE_TABLE: imported('GovernanceTable'),
    });
    expect(envOf(service, 'WorkflowStepsFunction')).toMatchObject({
      NOTIFICATIONS_TOPIC_ARN: imported('Notifications'),
      GOVERNANCE_TABLE: imported('GovernanceTable'),
    });
    expect(envOf(service, 'ApprovalsFunction')).toMatchObject({
      STATE_MACHINE_ARN: stateMachine,
      SIGNING_SECRET_ARN: imported('ApprovalSigningSecret'),
    });
    expect(envOf(service, 'IncidentsFunction')).toMatchObject({ STATE_MACHINE_ARN: stateMachine });
    expect(Object.keys(envOf(service, 'IncidentsFunction'))).not.toContain('SIGNING_SECRET_ARN');
    for (const prefix of ['WorkflowApprovalRole', 'WorkflowStepsRole']) {
      const statements = statementsOf(service, prefix);
      expect(statements.find((s) => s.Action === 'sns:Publish')?.Resource, prefix).toEqual(
        imported('Notifications'),
      );
      expect(statements, prefix).toContainEqual({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Effect: 'Allow',
        Resource: imported('DataKey'),
        Condition: { StringEquals: { 'kms:ViaService': 'sns.eu-west-1.amazonaws.com' } },
      });
    }
  });

  it('alarms the operations topic when an execution fails or times out', () => {
    const governance = logicalId(service, 'AWS::StepFunctions::StateMachine', 'Governance');
    const alarms = Object.values(service.findResources('AWS::CloudWatch::Alarm')).filter(
      (a) =>
        JSON.stringify(a.Properties.Metrics ?? []).includes('ExecutionsFailed') &&
        JSON.stringify(a.Properties.Metrics).includes(governance),
    );
    expect(alarms).toHaveLength(1);
    const alarm = alarms[0]?.Properties;
    expect(JSON.stringify(alarm.Metrics)).toContain('ExecutionsTimedOut');
    expect(alarm.Threshold).toBe(1);
    expect(alarm.AlarmActions).toEqual([
      expect.objectContaining({ 'Fn::ImportValue': expect.stringMatching(/Operations/) }),
    ]);
  });

  it('subscribes each approver address once, by email, filtered on its own recipient attribute', () => {
    const subscriptions = Object.values(data.findResources('AWS::SNS::Subscription')).map(
      (s) => s.Properties,
    );
    expect(subscriptions.map((s) => [s.Protocol, s.Endpoint, s.FilterPolicy])).toEqual(
      ['dsl@example.com', 'lead@example.com', 'mlops@example.com', 'qa@example.com'].map((address) => [
        'email',
        address,
        { recipient: [address] },
      ]),
    );
    for (const subscription of subscriptions) {
      expect(subscription.TopicArn).toEqual({ Ref: logicalId(data, 'AWS::SNS::Topic', 'Notifications') });
    }
  });

  it('subscribes nobody without approvers, and the public URL defaults to the API stage', () => {
    const bare = synth({});
    bare.data.resourceCountIs('AWS::SNS::Subscription', 0);
    const url = JSON.stringify(envOf(bare.service, 'WorkflowApprovalFunction').PUBLIC_URL);
    expect(url).toContain('.execute-api.eu-west-1.');
    expect(url).toContain('/v1');
  });

  it('refuses an approvers configuration that is not role to addresses', () => {
    expect(() => synth({ 'vigil:approvers': '{"qa": "qa@example.com"}' })).toThrow(
      'vigil:approvers.qa must be a list of email addresses',
    );
  });

  it.each([
    'incidents',
    'approvals',
    'workflowApproval',
    'workflowSteps',
    'workflowRecords',
    'evidence',
  ] as const)('bundles %s without the local runtime or aws-local-stepfunctions', async (id) => {
    const result = await build({
      entryPoints: [path.join(repoRoot, functionCatalog[id].entry)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((input) => input.startsWith('functions/'))).toBe(true);
    expect(
      inputs.filter((input) => input.startsWith('local/') || input.includes('aws-local-stepfunctions')),
    ).toEqual([]);
  });
});

describe('baseline review infrastructure', () => {
  let service: Template;
  beforeAll(() => {
    ({ service } = synth({ 'vigil:publicUrl': 'https://vigil.example.com' }));
  });

  const machine = () => logicalId(service, 'AWS::StepFunctions::StateMachine', 'BaselineReview');
  const actionsOn = (rolePrefix: string, resource: string) =>
    statementsOf(service, rolePrefix)
      .filter((s) => JSON.stringify(s.Resource).includes(resource))
      .flatMap((s) => [s.Action].flat());

  it('is a second state machine, loaded from its ASL file, logged (ALL, no execution data) and traced', () => {
    service.resourceCountIs('AWS::StepFunctions::StateMachine', 2);
    service.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      RoleArn: { 'Fn::GetAtt': [logicalId(service, 'AWS::IAM::Role', 'BaselineReviewRole'), 'Arn'] },
      DefinitionS3Location: Match.objectLike({ Key: Match.stringLikeRegexp('\\.json$') }),
      DefinitionSubstitutions: Object.fromEntries(
        Object.entries(baselineReviewFunctions).map(([placeholder, id]) => [
          placeholder,
          {
            'Fn::GetAtt': [
              logicalId(service, 'AWS::Lambda::Function', `${id[0]?.toUpperCase()}${id.slice(1)}Function`),
              'Arn',
            ],
          },
        ]),
      ),
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: Match.anyValue() } }],
      },
      TracingConfiguration: { Enabled: true },
    });
  });

  it('passes asl-validator with the substitutions the stack makes', () => {
    const definition = JSON.parse(
      substituteDefinition(
        readFileSync(baselineReviewDefinitionFile, 'utf8'),
        Object.fromEntries(
          Object.entries(baselineReviewFunctions).map(([placeholder, id]) => [
            placeholder,
            `arn:aws:lambda:eu-west-1:123456789012:function:vigil-${id}`,
          ]),
        ),
      ),
    );
    const { isValid, errorsText } = aslValidator(definition);
    expect(errorsText('\n')).toBe('');
    expect(isValid).toBe(true);
  });

  it('lets its role invoke exactly its task functions, and nothing else but logs and traces', () => {
    const statements = statementsOf(service, 'BaselineReviewRole');
    const invoke = statements.filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'));
    expect(invoke).toHaveLength(1);
    const functionArns = Object.values(baselineReviewFunctions).map((id) => ({
      'Fn::GetAtt': [
        logicalId(service, 'AWS::Lambda::Function', `${id[0]?.toUpperCase()}${id.slice(1)}Function`),
        'Arn',
      ],
    }));
    expect(invoke[0]?.Resource).toHaveLength(functionArns.length);
    expect(invoke[0]?.Resource).toEqual(expect.arrayContaining(functionArns));
    const others = statements
      .filter((s) => !invoke.includes(s))
      .flatMap((s) => [s.Action].flat())
      .filter((action) => !/^(logs|xray):/.test(action));
    expect(others).toEqual([]);
  });

  it('lets the scheduled evaluation alone start reviews, and the decision pages and the registry resume them', () => {
    expect(actionsOn('ScheduledEvaluationRole', machine())).toEqual(['states:StartExecution']);
    for (const prefix of ['EvaluationsRole', 'IncidentsRole', 'WorkflowStepsRole', 'AuthorizerRole']) {
      expect(actionsOn(prefix, machine()), prefix).toEqual([]);
    }
    for (const prefix of ['ApprovalsRole', 'RegistryRole']) {
      const actions = actionsOn(prefix, machine());
      expect(actions, prefix).toEqual(
        expect.arrayContaining(['states:SendTaskSuccess', 'states:SendTaskFailure']),
      );
      expect(actions, prefix).not.toContain('states:StartExecution');
    }
    // The registry resumes reviews only: it has no part in the governance workflow.
    const governance = logicalId(service, 'AWS::StepFunctions::StateMachine', 'Governance');
    expect(actionsOn('RegistryRole', governance)).toEqual([]);
    for (const prefix of ['ScheduledEvaluationFunction', 'ApprovalsFunction', 'RegistryFunction']) {
      expect(envOf(service, prefix), prefix).toMatchObject({
        BASELINE_REVIEW_STATE_MACHINE_ARN: { Ref: machine() },
      });
    }
    expect(Object.keys(envOf(service, 'EvaluationsFunction'))).not.toContain(
      'BASELINE_REVIEW_STATE_MACHINE_ARN',
    );
  });

  it('alarms the operations topic when a review fails or times out', () => {
    const alarms = Object.values(service.findResources('AWS::CloudWatch::Alarm')).filter((a) =>
      JSON.stringify(a.Properties.Metrics ?? []).includes(machine()),
    );
    expect(alarms).toHaveLength(1);
    expect(JSON.stringify(alarms[0]?.Properties.Metrics)).toContain('ExecutionsTimedOut');
    expect(alarms[0]?.Properties.AlarmActions).toEqual([
      expect.objectContaining({ 'Fn::ImportValue': expect.stringMatching(/Operations/) }),
    ]);
  });
});
