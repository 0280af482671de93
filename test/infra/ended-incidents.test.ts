import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../bin/vigil.ts';
import { cdkApp } from './app.ts';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

/**
 * The sparse index of ended incidents in the synthesized stacks: the governance table's third
 * index, and the reports function's grants, which read it on a model's partitions only and
 * write nothing.
 */
describe('ended-incident index', () => {
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

  it('adds `ended` on endedpk/endedsk to the governance table, after gsi1 and open', () => {
    const tables = Object.values(data.findResources('AWS::DynamoDB::GlobalTable'));
    const governance = tables.find((t) =>
      (t.Properties.GlobalSecondaryIndexes ?? []).some((i: { IndexName: string }) => i.IndexName === 'gsi1'),
    );
    expect(
      governance?.Properties.GlobalSecondaryIndexes.map((i: { IndexName: string }) => i.IndexName),
    ).toEqual(['gsi1', 'open', 'ended']);
    expect(governance?.Properties.GlobalSecondaryIndexes[2]).toEqual({
      IndexName: 'ended',
      KeySchema: [
        { AttributeName: 'endedpk', KeyType: 'HASH' },
        { AttributeName: 'endedsk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    });
  });

  it('lets the reports function query the ended index on models’ partitions only, and write nothing', () => {
    const statements = statementsOf('ReportsRole');
    const dynamo = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.filter((s) => JSON.stringify(s.Resource).includes('/index/ended'))).toEqual([
      expect.objectContaining({
        Action: 'dynamodb:Query',
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['ENDED#*'] } },
      }),
    ]);
    // Every grant is on keys, and none writes.
    for (const statement of dynamo) {
      expect(statement.Condition, JSON.stringify(statement)).toBeDefined();
      expect([statement.Action].flat().filter((a) => /Put|Update|Delete|Write|Scan/.test(a))).toEqual([]);
    }
  });
});
