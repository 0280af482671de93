import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../bin/vigil.ts';
import { functionCatalog } from '../../lib/functions.ts';

type Statement = {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Sid?: string;
};

const actions = (statement: Statement) => [statement.Action].flat();

/** Tamper-evident governance records: the signing key, who may sign, and append-only chain events. */
describe('evidence infrastructure', () => {
  let data: Template;
  let service: Template;
  /** Each function's role policy statements, by catalog id. */
  const statements = new Map<string, Statement[]>();

  beforeAll(() => {
    const built = buildApp(
      new App({
        context: {
          'vigil:region': 'eu-west-1',
          // Templates only: the bundles are built and checked by stacks.test.ts.
          'aws:cdk:bundling-stacks': [],
          'vigil:retiredEvidenceKeys': '["arn:aws:kms:eu-west-1:111122223333:key/old-key"]',
        },
      }),
    );
    data = Template.fromStack(built.data);
    service = Template.fromStack(built.service);
    const policies = service.findResources('AWS::IAM::Policy');
    for (const id of Object.keys(functionCatalog)) {
      const prefix = `${id[0]?.toUpperCase()}${id.slice(1)}Role`;
      const policy = Object.entries(policies).find(([logicalId]) => logicalId.startsWith(prefix))?.[1];
      statements.set(id, (policy?.Properties.PolicyDocument.Statement ?? []) as Statement[]);
    }
  });

  it('signs with an ECC_NIST_P256 SIGN_VERIFY key, retained, that only the evidence role may sign with', () => {
    const keys = data.findResources('AWS::KMS::Key', { Properties: { KeySpec: 'ECC_NIST_P256' } });
    expect(Object.keys(keys)).toHaveLength(1);
    const [key] = Object.values(keys);
    expect(key).toMatchObject({ DeletionPolicy: 'Retain', Properties: { KeyUsage: 'SIGN_VERIFY' } });
    const policy = key?.Properties.KeyPolicy.Statement as Statement[];
    const signing = policy.filter((s) => actions(s).some((a) => a === 'kms:Sign' || a === 'kms:*'));
    expect(signing).toHaveLength(1);
    expect(signing[0]?.Condition?.ArnEquals?.['aws:PrincipalArn']).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':iam::',
          { Ref: 'AWS::AccountId' },
          ':role/vigil-evidence-signer-eu-west-1',
        ],
      ],
    });
    for (const statement of policy) expect(actions(statement)).not.toContain('kms:*');
    data.hasOutput('EvidenceSigningKeyArn', {});
    service.hasResourceProperties('AWS::IAM::Role', { RoleName: 'vigil-evidence-signer-eu-west-1' });
  });

  it('grants kms:Sign to the evidence function alone, and the public keys of the retired ones too', () => {
    const signers = [...statements].filter(([, list]) =>
      list.some((s) => s.Effect === 'Allow' && actions(s).some((a) => a === 'kms:Sign' || a === 'kms:*')),
    );
    expect(signers.map(([id]) => id)).toEqual(['evidence']);
    const publicKeys = statements.get('evidence')?.find((s) => actions(s).includes('kms:GetPublicKey'));
    expect(publicKeys?.Resource).toContainEqual('arn:aws:kms:eu-west-1:111122223333:key/old-key');
    const env = Object.values(service.findResources('AWS::Lambda::Function')).find(
      (f) => f.Properties.Environment.Variables.EVIDENCE_KEY_ID,
    )?.Properties.Environment.Variables;
    expect(env?.EVIDENCE_RETIRED_KEY_IDS).toBe('arn:aws:kms:eu-west-1:111122223333:key/old-key');
  });

  it('denies every function updates and deletes of chain events, and puts to those that record none', () => {
    const appenders = [
      'evaluations',
      'scheduledEvaluation',
      'incidents',
      'approvals',
      'workflowApproval',
      'workflowSteps',
      'workflowRecords',
      'registry',
    ];
    for (const [id, list] of statements) {
      const deny = list.find((s) => s.Effect === 'Deny' && s.Sid === 'ChainEventsAreNeverChanged');
      expect(deny?.Condition, id).toEqual({
        'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': ['EVENTS#*'] },
      });
      expect(actions(deny as Statement), id).toEqual(
        expect.arrayContaining(['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']),
      );
      expect(actions(deny as Statement).includes('dynamodb:PutItem'), id).toBe(!appenders.includes(id));
    }
  });

  it('keeps point-in-time recovery on the governance table', () => {
    data.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: Match.anyValue(),
      GlobalSecondaryIndexes: Match.arrayWith([Match.objectLike({ IndexName: 'gsi1' })]),
      Replicas: [
        Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
      ],
    });
  });

  it('lets the workflow invoke the evidence function for its last step', () => {
    const machine = Object.values(service.findResources('AWS::StepFunctions::StateMachine'))[0];
    expect(JSON.stringify(machine?.Properties.DefinitionSubstitutions)).toContain('EvidenceFunctionArn');
  });
});
