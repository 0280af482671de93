import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../bin/vigil.ts';
import { cdkApp } from './app.ts';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

/**
 * The sparse index of open incidents in the synthesized stacks: the governance table's second
 * index, and the grants of the functions that list open incidents.
 */
describe('open-incident index', () => {
  let data: Template;
  let service: Template;

  beforeAll(() => {
    const built = buildApp(cdkApp({ 'aws:cdk:bundling-stacks': [] }));
    data = Template.fromStack(built.data);
    service = Template.fromStack(built.service);
  });

  /** The Allow statements of the role whose logical id starts with `prefix`. */
  function statementsOf(prefix: string): Statement[] {
    const roles = Object.keys(service.findResources('AWS::IAM::Role')).filter((id) => id.startsWith(prefix));
    expect(roles, prefix).toHaveLength(1);
    return Object.values(service.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(roles[0] as string))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
      .filter((s) => s.Effect === 'Allow');
  }
  const onIndex = (statement: Statement, index: string) =>
    JSON.stringify(statement.Resource).includes(`/index/${index}`);

  it('adds an index to the governance table: `open` on openpk/opensk, beside gsi1', () => {
    const tables = Object.values(data.findResources('AWS::DynamoDB::GlobalTable'));
    const governance = tables.find((t) =>
      (t.Properties.GlobalSecondaryIndexes ?? []).some((i: { IndexName: string }) => i.IndexName === 'gsi1'),
    );
    expect(governance?.Properties.GlobalSecondaryIndexes).toEqual([
      expect.objectContaining({ IndexName: 'gsi1' }),
      {
        IndexName: 'open',
        KeySchema: [
          { AttributeName: 'openpk', KeyType: 'HASH' },
          { AttributeName: 'opensk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      expect.objectContaining({ IndexName: 'ended' }),
    ]);
    expect(governance?.Properties.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'openpk', AttributeType: 'S' },
        { AttributeName: 'opensk', AttributeType: 'S' },
      ]),
    );
  });

  it('lets the incident API query the open index on its one partition only', () => {
    const queries = statementsOf('IncidentsRole').filter((s) => onIndex(s, 'open'));
    expect(queries).toEqual([
      expect.objectContaining({
        Action: 'dynamodb:Query',
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['OPEN_INCIDENTS'] } },
      }),
    ]);
  });

  it('lets the delivery refresh and the workflow functions, which read the table whole, query the open index', () => {
    for (const role of ['DeliveryRefreshRole', 'WorkflowApprovalRole', 'WorkflowStepsRole']) {
      const reads = statementsOf(role).filter(
        (s) => onIndex(s, 'open') && [s.Action].flat().includes('dynamodb:Query'),
      );
      expect(reads, role).not.toHaveLength(0);
    }
  });
});
