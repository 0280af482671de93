import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  type CfnFunction,
  Code,
  Function as LambdaFunction,
  LoggingFormat,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { buildOptions, esbuildArgs } from '../bundling.ts';
import type { FunctionDefinition } from '../functions.ts';
import type { ItemScope } from '../item-scopes.ts';
import type { TableDefinition } from '../tables.ts';

const readActions = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
];
const writeActions = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

/**
 * The IAM path of every Vigil function's role: resource policies (the notifications topic's)
 * name Vigil's roles by it, without a reference from the data stack to the service stack.
 */
export const VIGIL_ROLE_PATH = '/vigil/';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** esbuild's JS API when the project's dependencies are installed here, else undefined. */
function localEsbuild(): typeof import('esbuild') | undefined {
  try {
    return createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  } catch {
    return undefined;
  }
}

/** The esbuild version the lock file pins (a development dependency). */
const esbuildVersion = (
  JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  }
).devDependencies.esbuild;

/**
 * A function's code: its split bundle, built by esbuild in this process (CDK's NodejsFunction
 * passes `--outfile`, which rules out chunks), hashed on what it outputs. A build error fails
 * the synth. Where esbuild is not installed, the same build runs with esbuild's command line
 * (the same options, `esbuildArgs`) in the Lambda runtime's build image.
 */
function bundledCode(entry: string): Code {
  return Code.fromAsset(projectRoot, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry(Runtime.NODEJS_22_X.bundlingImage.image),
      workingDirectory: '/asset-input',
      command: [
        'npx',
        '--yes',
        `esbuild@${esbuildVersion}`,
        ...esbuildArgs(buildOptions(`/asset-input/${entry}`, '/asset-output')),
      ],
      local: {
        tryBundle(outputDir) {
          const esbuild = localEsbuild();
          if (!esbuild) return false;
          esbuild.buildSync({
            ...buildOptions(path.join(projectRoot, entry), outputDir),
            absWorkingDir: projectRoot,
          });
          return true;
        },
      },
    },
  });
}

export interface VigilFunctionProps {
  readonly definition: FunctionDefinition;
  readonly environment?: Record<string, string>;
  /** Log retention; a month by default. */
  readonly logRetention?: RetentionDays;
  /** A fixed name for the execution role, where a resource policy must admit it by name. */
  readonly roleName?: string;
}

/**
 * The one way Vigil builds a Lambda function: Node.js 22 on ARM64, bundled by esbuild as
 * minified ES module chunks with source maps (the entry `index.mjs`, the chunks it loads at
 * start and those a rare path loads on first use), X-Ray tracing, JSON logs into an explicit log group
 * with retention, and a role that may write to that log group and nothing else until a
 * grant helper adds exactly what the function needs.
 */
export class VigilFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: iam.Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: VigilFunctionProps) {
    super(scope, id);
    const { definition } = props;

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      path: VIGIL_ROLE_PATH,
      description: `Execution role of ${definition.entry}`,
      ...(props.roleName ? { roleName: props.roleName } : {}),
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.function = new LambdaFunction(this, 'Function', {
      code: bundledCode(definition.entry),
      handler: 'index.handler',
      description: definition.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: definition.memorySize,
      timeout: Duration.seconds(definition.timeoutSeconds),
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'vigil',
        POWERTOOLS_METRICS_NAMESPACE: 'Vigil',
        ...props.environment,
      },
    });

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the runtime Vigil is built, bundled (target node22) and tested for; a runtime upgrade is a deliberate change.',
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions.',
    });
  }

  /**
   * Grants exactly the item actions a function needs on a table and its indexes (named, no
   * wildcard), the key use that goes with them, and passes the table name in the table's
   * environment variable.
   */
  useTable(definition: TableDefinition, table: ITableV2, access: 'read' | 'readWrite'): this {
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: access === 'read' ? readActions : [...readActions, ...writeActions],
        resources: [
          table.tableArn,
          ...definition.globalIndexes.map((index) => `${table.tableArn}/index/${index.indexName}`),
        ],
      }),
    );
    return this.useTableKey(definition, table, access);
  }

  /**
   * Grants item actions on the items of a table whose partition keys match the scope's patterns
   * only (`dynamodb:LeadingKeys`, which GetItem, BatchGetItem, Query, ConditionCheckItem,
   * PutItem, UpdateItem, DeleteItem and BatchWriteItem all evaluate on every key they touch):
   * reads on the `read` patterns, writes on the `write` patterns, queries of an index on that
   * index's partition key patterns. Nothing else, and no Scan (a request without a partition
   * key passes a `ForAllValues` condition, so an unkeyed action must never be granted).
   */
  useItems(definition: TableDefinition, table: ITableV2, scope: ItemScope): this {
    const onKeys = (patterns: readonly string[]) => ({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...patterns] },
    });
    if (scope.read?.length) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: readActions,
          resources: [table.tableArn],
          conditions: onKeys(scope.read),
        }),
      );
    }
    if (scope.write?.length) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: writeActions,
          resources: [table.tableArn],
          conditions: onKeys(scope.write),
        }),
      );
    }
    for (const [indexName, patterns] of Object.entries(scope.indexes ?? {})) {
      if (!definition.globalIndexes.some((index) => index.indexName === indexName)) {
        throw new Error(`Table ${definition.id} has no index ${indexName}`);
      }
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: [`${table.tableArn}/index/${indexName}`],
          conditions: onKeys(patterns),
        }),
      );
    }
    return this.useTableKey(definition, table, scope.write?.length ? 'readWrite' : 'read');
  }

  /** The table key's use that goes with the item actions, and the table name in its variable. */
  private useTableKey(definition: TableDefinition, table: ITableV2, access: 'read' | 'readWrite'): this {
    if (table.encryptionKey) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions:
            access === 'read'
              ? ['kms:Decrypt', 'kms:DescribeKey']
              : ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
          resources: [table.encryptionKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${this.stack.region}.amazonaws.com` } },
        }),
      );
    }
    this.function.addEnvironment(definition.envVar, table.tableName);
    return this;
  }

  /**
   * Reserves concurrency for the function: it never runs more than `executions` at once, and
   * the rest of the account keeps the remainder of its quota.
   */
  reserveConcurrency(executions: number): this {
    (this.function.node.defaultChild as CfnFunction).reservedConcurrentExecutions = executions;
    return this;
  }

  /**
   * Lets the function read a secret and decrypt it with its key, granted on the role alone, so
   * that the data stack never refers back to the service stack.
   */
  useSecret(secret: ISecret, envVar: string): this {
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
    );
    if (secret.encryptionKey) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [secret.encryptionKey.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `secretsmanager.${this.stack.region}.amazonaws.com` },
          },
        }),
      );
    }
    this.function.addEnvironment(envVar, secret.secretArn);
    return this;
  }

  /** Sets an environment variable; a handler reads it at load time and fails fast when absent. */
  setEnv(name: string, value: string): this {
    this.function.addEnvironment(name, value);
    return this;
  }

  get stack(): Stack {
    return Stack.of(this);
  }
}
