import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { type App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../bin/vigil.ts';
import { functionCatalog } from '../../lib/functions.ts';
import { routes } from '../../lib/routes.ts';
import { tables } from '../../lib/tables.ts';
import { cdkApp } from './app.ts';

describe('CDK app', () => {
  let data: Template;
  let service: Template;
  let app: App;

  beforeAll(() => {
    const built = buildApp(cdkApp());
    app = built.app;
    data = Template.fromStack(built.data);
    service = Template.fromStack(built.service);
  });

  describe('stateful stack', () => {
    it.each(tables.map((t) => [t.id, t] as const))(
      'defines the %s table from its shared definition',
      (_id, definition) => {
        const gsis = definition.globalIndexes.map((index) => ({
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        }));
        data.hasResource('AWS::DynamoDB::GlobalTable', {
          DeletionPolicy: 'Retain',
          Properties: Match.objectLike({
            KeySchema: [
              { AttributeName: definition.partitionKey.name, KeyType: 'HASH' },
              { AttributeName: definition.sortKey.name, KeyType: 'RANGE' },
            ],
            BillingMode: 'PAY_PER_REQUEST',
            SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
            TimeToLiveSpecification: { AttributeName: definition.timeToLiveAttribute, Enabled: true },
            ...(gsis.length > 0 ? { GlobalSecondaryIndexes: gsis } : {}),
            Replicas: [
              Match.objectLike({
                PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
                DeletionProtectionEnabled: true,
                SSESpecification: { KMSMasterKeyId: Match.anyValue() },
              }),
            ],
          }),
        });
      },
    );

    it('encrypts with a rotating customer managed key, and the topics and secrets with it', () => {
      data.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      const keyRef = { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] };
      data.resourceCountIs('AWS::SNS::Topic', 2);
      data.allResourcesProperties('AWS::SNS::Topic', { KmsMasterKeyId: keyRef });
      data.resourceCountIs('AWS::SecretsManager::Secret', 2);
      data.allResourcesProperties('AWS::SecretsManager::Secret', { KmsKeyId: keyRef });
      data.hasOutput('AdminKeySecretArn', {});
    });
  });

  describe('stateless stack', () => {
    it('builds every function of the catalog with the house defaults', () => {
      const functions = service.findResources('AWS::Lambda::Function');
      expect(Object.keys(functions)).toHaveLength(Object.keys(functionCatalog).length);
      for (const fn of Object.values(functions)) {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          TracingConfig: { Mode: 'Active' },
          Handler: 'index.handler',
          LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.stringMatching(/Logs/) } },
          Environment: {
            Variables: expect.objectContaining({
              POWERTOOLS_SERVICE_NAME: 'vigil',
            }),
          },
        });
        // No source map is read at a cold start: a stack is mapped when an error is logged.
        expect(fn.Properties.Environment.Variables).not.toHaveProperty('NODE_OPTIONS');
      }
      service.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: Match.anyValue() });
    });

    it('ships each function as minified ES module chunks, each with a source map that leaves out the sources, and the stack mapper that reads them', () => {
      const assembly = app.synth();
      const assetDirs = readdirSync(assembly.directory).filter(
        (dir) => dir.startsWith('asset.') && existsSync(path.join(assembly.directory, dir, 'index.mjs')),
      );
      expect(assetDirs).toHaveLength(Object.keys(functionCatalog).length);
      let imports = 0;
      let mappers = 0;
      for (const dir of assetDirs) {
        const files = readdirSync(path.join(assembly.directory, dir));
        const chunks = files.filter((file) => file.endsWith('.mjs'));
        expect(files.sort()).toEqual([...chunks, ...chunks.map((chunk) => `${chunk}.map`)].sort());
        for (const chunk of chunks) {
          const code = readFileSync(path.join(assembly.directory, dir, chunk), 'utf8');
          // Every chunk another imports is in the asset, beside it.
          for (const [, imported] of code.matchAll(/(?:from|import)\s*\(?\s*"\.\/([^"]+)"/g)) {
            expect(chunks, `${dir}/${chunk}`).toContain(imported);
            imports++;
          }
          const map = JSON.parse(readFileSync(path.join(assembly.directory, dir, `${chunk}.map`), 'utf8'));
          expect(map.sourcesContent).toBeUndefined();
          // The chunk that maps an error's stack with the map beside each chunk, on the first error.
          if (
            (map.sources as string[]).some((source) =>
              source.endsWith('functions/commons/powertools/stack-map.ts'),
            )
          )
            mappers++;
        }
        const map = JSON.parse(readFileSync(path.join(assembly.directory, dir, 'index.mjs.map'), 'utf8'));
        expect(map.mappings.length).toBeGreaterThan(0);
      }
      expect(imports).toBeGreaterThan(assetDirs.length);
      // Every function but the health check and the OpenAPI document, which answer a constant.
      expect(mappers).toBe(assetDirs.length - 2);
    });

    it('lets each function role write to its own log group only', () => {
      const policies = service.findResources('AWS::IAM::Policy');
      const statements = Object.values(policies).flatMap(
        (policy) =>
          policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
      );
      const logStatements = statements.filter((s) => [s.Action].flat().includes('logs:PutLogEvents'));
      expect(logStatements.length).toBe(Object.keys(functionCatalog).length);
      for (const statement of logStatements) {
        expect(statement.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/Logs/), 'Arn'] });
      }
    });

    it('exposes every route of the route table, throttled, traced and access-logged', () => {
      for (const route of routes) {
        service.hasResourceProperties('AWS::ApiGateway::Method', {
          HttpMethod: route.method,
          AuthorizationType: route.auth === 'none' ? 'NONE' : Match.anyValue(),
        });
      }
      service.hasResourceProperties('AWS::ApiGateway::Stage', {
        TracingEnabled: true,
        AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
        MethodSettings: Match.arrayWith([
          Match.objectLike({ ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() }),
        ]),
      });
    });
  });

  describe('traces', () => {
    it.each(['approvals', 'views'])(
      'keeps the %s links, whose query string is a signature, out of X-Ray',
      (prefix) => {
        service.hasResourceProperties('AWS::XRay::SamplingRule', {
          SamplingRule: Match.objectLike({
            Priority: 1,
            FixedRate: 0,
            ReservoirSize: 0,
            ServiceType: 'AWS::ApiGateway::Stage',
            URLPath: `*/${prefix}/*`,
            HTTPMethod: '*',
          }),
        });
      },
    );

    it('gives each sampling rule a name of its own', () => {
      const names = Object.values(service.findResources('AWS::XRay::SamplingRule')).map(
        (rule) => rule.Properties.SamplingRule.RuleName,
      );
      expect(new Set(names).size).toBe(names.length);
      for (const name of names) expect(name.length).toBeLessThanOrEqual(32);
    });
  });

  describe('cdk-nag', () => {
    it('finds nothing unacknowledged in the app', () => {
      expect(() => app.synth()).not.toThrow();
    });

    it('fails the synth on a finding nobody acknowledged', () => {
      // Templates only: the app above builds and checks the bundles.
      const other = cdkApp({ 'aws:cdk:bundling-stacks': [] });
      const stack = new Stack(other, 'Probe');
      new Bucket(stack, 'Unencrypted');
      const { app: withNag } = buildApp(other);
      const printed: string[] = [];
      const capture = (...args: unknown[]) => {
        printed.push(args.map(String).join(' '));
      };
      const spies = [
        vi.spyOn(console, 'error').mockImplementation(capture),
        vi.spyOn(console, 'log').mockImplementation(capture),
      ];
      let thrown: unknown;
      try {
        withNag.synth();
      } catch (error) {
        thrown = error;
      } finally {
        for (const spy of spies) spy.mockRestore();
      }
      // The findings are in the error (non-interactive) or on the console (interactive terminal).
      expect(thrown).toBeInstanceOf(Error);
      const report = `${String(thrown)}\n${printed.join('\n')}`;
      expect(report).toContain('AwsSolutions-S1');
      expect(report).toContain('Probe/Unencrypted');
      expect(report).not.toMatch(/Vigil(Data|Service)\//);
    });
  });
});
