import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../bin/vigil.ts';
import { DEFAULT_API_RATE_LIMIT, PUBLIC_RATE_LIMIT } from '../../lib/constructs/api-firewall.ts';
import { itemScopes } from '../../lib/item-scopes.ts';
import { publicThrottles, routes } from '../../lib/routes.ts';

/** The app without Lambda bundling, with cdk-nag run by the synth. */
function synth(context: Record<string, unknown> = {}) {
  const built = buildApp(
    new App({ context: { 'vigil:region': 'eu-west-1', 'aws:cdk:bundling-stacks': [], ...context } }),
  );
  built.app.synth();
  return { data: Template.fromStack(built.data), service: Template.fromStack(built.service) };
}

/** The service stack with the optional settings given, synthesized once. */
let configuredService: Template | undefined;
function configured(): Template {
  configuredService ??= synth({ 'vigil:wafRateLimit': '90000', 'vigil:approvalConcurrency': '5' }).service;
  return configuredService;
}

function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids, `${type} ${prefix}`).toHaveLength(1);
  return ids[0] as string;
}

type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

function statementsOf(template: Template, rolePrefix: string): Statement[] {
  const role = logicalId(template, 'AWS::IAM::Role', rolePrefix);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(role))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

/** The CDK bootstrap's CloudFormation execution role, with CloudFormation's placeholders. */
const cloudFormationExecutionRole =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation placeholders, resolved by Fn::Sub
  'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-cfn-exec-role-${AWS::AccountId}-eu-west-1';

const actionsOf = (statement: Statement) => [statement.Action].flat();
const tableArn = (table: 'Governance' | 'Telemetry') => ({
  'Fn::ImportValue': expect.stringMatching(`^VigilData:ExportsOutputFnGetAtt${table}Table`),
});

/** The stage's method settings by `{path}/{METHOD}` (`/*` `*` is the stage default). */
function methodSettings(service: Template): Map<string, { rate: number; burst: number }> {
  const [stage] = Object.values(service.findResources('AWS::ApiGateway::Stage'));
  const settings = stage?.Properties.MethodSettings as {
    ResourcePath: string;
    HttpMethod: string;
    ThrottlingRateLimit: number;
    ThrottlingBurstLimit: number;
  }[];
  return new Map(
    settings.map((s) => [
      `${s.ResourcePath === '/*' ? '/*' : s.ResourcePath.slice(1).replaceAll('~1', '/')}/${s.HttpMethod}`,
      { rate: s.ThrottlingRateLimit, burst: s.ThrottlingBurstLimit },
    ]),
  );
}

describe('AWS posture', () => {
  let data: Template;
  let service: Template;
  beforeAll(() => {
    ({ data, service } = synth());
  });

  describe('throttling', () => {
    it('gives the approval pages and the health route their own limits, below the stage default that ingest uses', () => {
      const settings = methodSettings(service);
      const stage = settings.get('/*/*');
      expect(stage).toEqual({ rate: 1000, burst: 2000 });
      for (const method of ['GET', 'POST']) {
        expect(settings.get(`/approvals/{approvalId}/${method}`)).toEqual({
          rate: publicThrottles.approvals.rateLimit,
          burst: publicThrottles.approvals.burstLimit,
        });
      }
      expect(settings.get('/healthz/GET')).toEqual({
        rate: publicThrottles.other.rateLimit,
        burst: publicThrottles.other.burstLimit,
      });
      for (const route of routes.filter((r) => r.auth === 'none')) {
        const own = settings.get(`${route.path}/${route.method}`);
        expect(own, `${route.method} ${route.path}`).toBeDefined();
        expect(own?.rate).toBeLessThan(stage?.rate as number);
        expect(own?.burst).toBeLessThan(stage?.burst as number);
      }
      // Ingest and the other keyed routes have no setting of their own: they take the stage's.
      for (const route of routes.filter((r) => r.auth === 'apiKey')) {
        expect(settings.has(`${route.path}/${route.method}`), `${route.method} ${route.path}`).toBe(false);
      }
    });
  });

  describe('web ACL', () => {
    it('rate-limits each client address, harder on the public routes, and runs the managed rules there', () => {
      service.resourceCountIs('AWS::WAFv2::WebACL', 1);
      const [acl] = Object.values(service.findResources('AWS::WAFv2::WebACL'));
      expect(acl?.Properties).toMatchObject({ Scope: 'REGIONAL', DefaultAction: { Allow: {} } });
      const rules = acl?.Properties.Rules as {
        Name: string;
        Statement: Record<string, Record<string, unknown>>;
        VisibilityConfig: { SampledRequestsEnabled: boolean };
      }[];
      const rule = (name: string) => rules.find((r) => r.Name === name);

      expect(rule('RateLimitPerAddress')?.Statement.RateBasedStatement).toEqual({
        Limit: DEFAULT_API_RATE_LIMIT,
        EvaluationWindowSec: 300,
        AggregateKeyType: 'IP',
      });
      const publicRate = rule('PublicRoutesRateLimitPerAddress')?.Statement.RateBasedStatement;
      expect(publicRate).toMatchObject({ Limit: PUBLIC_RATE_LIMIT, AggregateKeyType: 'IP' });
      const scopeDown = JSON.stringify(publicRate?.ScopeDownStatement);
      for (const [constraint, path] of [
        ['CONTAINS', '/approvals/'],
        ['ENDS_WITH', '/healthz'],
        ['ENDS_WITH', '/openapi.json'],
      ]) {
        expect(scopeDown).toContain(`"PositionalConstraint":"${constraint}","SearchString":"${path}"`);
      }
      expect(scopeDown).not.toContain('/v1/models');

      const common = rule('AWSManagedRulesCommonRuleSet')?.Statement.ManagedRuleGroupStatement;
      expect(common).toMatchObject({
        VendorName: 'AWS',
        RuleActionOverrides: [{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }],
      });
      expect(common?.ScopeDownStatement).toEqual(publicRate?.ScopeDownStatement);
      expect(rule('AWSManagedRulesKnownBadInputsRuleSet')).toBeDefined();
      // Samples would keep API keys and link signatures: none is taken.
      expect(rules.every((r) => r.VisibilityConfig.SampledRequestsEnabled === false)).toBe(true);
      expect(acl?.Properties.VisibilityConfig.SampledRequestsEnabled).toBe(false);
    });

    it('is associated with the API stage', () => {
      const acl = logicalId(service, 'AWS::WAFv2::WebACL', 'FirewallWebAcl');
      const stage = logicalId(service, 'AWS::ApiGateway::Stage', 'ApiDeploymentStage');
      const api = logicalId(service, 'AWS::ApiGateway::RestApi', 'Api');
      service.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
        WebACLArn: { 'Fn::GetAtt': [acl, 'Arn'] },
        ResourceArn: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':apigateway:eu-west-1::/restapis/',
              { Ref: api },
              '/stages/',
              { Ref: stage },
            ],
          ],
        },
      });
    });

    it('takes the per-address limit from vigil:wafRateLimit', () => {
      configured().hasResourceProperties('AWS::WAFv2::WebACL', {
        Rules: Match.arrayWith([
          Match.objectLike({
            Name: 'RateLimitPerAddress',
            Statement: { RateBasedStatement: Match.objectLike({ Limit: 90000 }) },
          }),
        ]),
      });
    });
  });

  it('refuses a vigil:wafRateLimit below what WAF accepts', () => {
    expect(() => synth({ 'vigil:wafRateLimit': '5' })).toThrow(/rate limit must be at least 10/);
    expect(() => synth({ 'vigil:wafRateLimit': 'lots' })).toThrow(
      /vigil:wafRateLimit must be a positive whole number/,
    );
  });

  describe('approval concurrency', () => {
    it('reserves nothing by default, so a new account with a quota of 10 can deploy', () => {
      for (const fn of Object.values(service.findResources('AWS::Lambda::Function'))) {
        expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
      }
    });

    it('caps the approval pages function, and no other, with vigil:approvalConcurrency', () => {
      const capped = configured();
      const approvals = logicalId(capped, 'AWS::Lambda::Function', 'ApprovalsFunction');
      for (const [id, fn] of Object.entries(capped.findResources('AWS::Lambda::Function'))) {
        expect(fn.Properties.ReservedConcurrentExecutions, id).toBe(id === approvals ? 5 : undefined);
      }
    });

    it.each(['0', '-1', '2.5', 'ten'])(
      'refuses vigil:approvalConcurrency=%s with the setting named',
      (value) => {
        expect(() => synth({ 'vigil:approvalConcurrency': value })).toThrow(
          /vigil:approvalConcurrency must be a positive whole number/,
        );
      },
    );
  });

  describe('least privilege by key prefix', () => {
    const scoped = [
      ['authorizer', 'AuthorizerRole'],
      ['ingest', 'IngestRole'],
      ['incidents', 'IncidentsRole'],
      ['approvals', 'ApprovalsRole'],
      ['workflowRecords', 'WorkflowRecordsRole'],
      ['reports', 'ReportsRole'],
    ] as const;

    it.each(scoped)('lets the %s function touch DynamoDB items only under its key prefixes', (id, role) => {
      // What the function may do; the chain's Deny on event items is asserted in evidence.test.ts.
      const statements = statementsOf(service, role).filter(
        (s) => s.Effect === 'Allow' && actionsOf(s).some((a) => a.startsWith('dynamodb:')),
      );
      const expected: unknown[] = [];
      for (const [table, scope] of Object.entries(itemScopes[id]) as [
        'Governance' | 'Telemetry',
        { read?: string[]; write?: string[]; indexes?: Record<string, string[]> },
      ][]) {
        const onKeys = (keys: string[]) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': keys } });
        if (scope.read) {
          expected.push({
            Effect: 'Allow',
            Action: [
              'dynamodb:GetItem',
              'dynamodb:BatchGetItem',
              'dynamodb:Query',
              'dynamodb:ConditionCheckItem',
            ],
            Resource: tableArn(table),
            Condition: onKeys(scope.read),
          });
        }
        if (scope.write) {
          expected.push({
            Effect: 'Allow',
            Action: [
              'dynamodb:PutItem',
              'dynamodb:UpdateItem',
              'dynamodb:DeleteItem',
              'dynamodb:BatchWriteItem',
            ],
            Resource: tableArn(table),
            Condition: onKeys(scope.write),
          });
        }
        for (const [index, keys] of Object.entries(scope.indexes ?? {})) {
          expected.push({
            Effect: 'Allow',
            Action: 'dynamodb:Query',
            Resource: { 'Fn::Join': ['', [tableArn(table), `/index/${index}`]] },
            Condition: onKeys(keys),
          });
        }
      }
      expect(statements).toHaveLength(expected.length);
      for (const statement of expected) {
        expect(statements).toContainEqual(statement);
      }
      // No item action without a key condition, and nothing that reads without a key (Scan).
      for (const statement of statements) {
        expect(statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']).toBeDefined();
        expect(actionsOf(statement)).not.toContain('dynamodb:Scan');
      }
    });

    it('lets the authorizer read key lookups only: no approval, incident or task token', () => {
      const dynamo = statementsOf(service, 'AuthorizerRole').filter(
        (s) => s.Effect === 'Allow' && actionsOf(s).some((a) => a.startsWith('dynamodb:')),
      );
      expect(dynamo).toEqual([
        expect.objectContaining({
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['KEY#*'] } },
        }),
      ]);
      expect(actionsOf(dynamo[0] as Statement).every((a) => !/Put|Update|Delete|Write/.test(a))).toBe(true);
    });
  });

  describe('notifications topic', () => {
    function topicStatements(topicPrefix: string) {
      const topic = logicalId(data, 'AWS::SNS::Topic', topicPrefix);
      const [policy] = Object.values(data.findResources('AWS::SNS::TopicPolicy')).filter(
        (p) => JSON.stringify(p.Properties.Topics) === JSON.stringify([{ Ref: topic }]),
      );
      return { topic, statements: policy?.Properties.PolicyDocument.Statement as Statement[] };
    }
    const vigilRoles = {
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/vigil/*'],
      ],
    };

    it('takes publications from Vigil roles only, and subscriptions from them and the deployment', () => {
      const { topic, statements } = topicStatements('Notifications');
      const deny = (action: string) =>
        statements.find(
          (s) => s.Effect === 'Deny' && actionsOf(s).includes(action) && s.Condition?.StringNotLike,
        );
      expect(deny('sns:Publish')).toEqual(
        expect.objectContaining({
          Principal: '*',
          Resource: { Ref: topic },
          Condition: { StringNotLike: { 'aws:PrincipalArn': [vigilRoles] } },
        }),
      );
      expect(deny('sns:Subscribe')).toEqual(
        expect.objectContaining({
          Principal: '*',
          Resource: { Ref: topic },
          Condition: {
            StringNotLike: {
              'aws:PrincipalArn': [vigilRoles, { 'Fn::Sub': cloudFormationExecutionRole }],
            },
          },
        }),
      );
      // Nothing in the policy allows anyone: the roles' own policies grant, the topic only refuses.
      expect(statements.filter((s) => s.Effect === 'Allow')).toEqual([]);
    });

    it('refuses publications and subscriptions without TLS', () => {
      const { statements } = topicStatements('Notifications');
      for (const action of ['sns:Publish', 'sns:Subscribe']) {
        expect(
          statements.some(
            (s) =>
              s.Effect === 'Deny' &&
              actionsOf(s).includes(action) &&
              JSON.stringify(s.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }),
          ),
          action,
        ).toBe(true);
      }
    });

    it('puts every function role under the path the topic policy names', () => {
      const roles = Object.entries(service.findResources('AWS::IAM::Role')).filter(([, role]) =>
        JSON.stringify(role.Properties.AssumeRolePolicyDocument).includes('lambda.amazonaws.com'),
      );
      expect(roles.length).toBeGreaterThan(0);
      for (const [id, role] of roles) expect(role.Properties.Path, id).toBe('/vigil/');
    });
  });
});
