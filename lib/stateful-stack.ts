import {
  CfnOutput,
  DefaultStackSynthesizer,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { AttributeType, type ITableV2, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { SubscriptionFilter, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { VIGIL_ROLE_PATH } from './constructs/vigil-function.ts';
import { evidenceKeyGeneration, evidenceSignerRoleName } from './evidence.ts';
import { governanceTable, type KeyAttribute, type TableDefinition, telemetryTable } from './tables.ts';

/**
 * What holds data: the tables, the KMS key that encrypts everything, the SNS topics and the
 * secrets. Kept apart from the stateless stack so that a code deployment never replaces or
 * deletes data; every resource here is retained when the stack goes away.
 */
export class StatefulStack extends Stack {
  readonly key: Key;
  readonly telemetry: ITableV2;
  readonly governance: ITableV2;
  /** Human notifications: approval requests, alerts, support notices, one message per recipient. */
  readonly notifications: Topic;
  /** Operational alarms for the MLOps on-call. */
  readonly operations: Topic;
  /** HMAC key for approval links. */
  readonly signingSecret: Secret;
  /** The admin API key. */
  readonly adminKeySecret: Secret;
  /** Signs the heads of incidents' hash chains (ES256); only the evidence function may use it. */
  readonly evidenceKey: Key;
  /** Outbound webhooks: published events and deliveries waiting for their next attempt. */
  readonly webhookQueue: Queue;
  /** Webhook messages the delivery function failed to handle on every receive. */
  readonly webhookDeadLetters: Queue;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    this.key = new Key(this, 'DataKey', {
      description: 'Encrypts Vigil tables, topics and secrets',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.telemetry = this.table(telemetryTable);
    this.governance = this.table(governanceTable);

    // CloudWatch alarms publish to the encrypted operations topic, so they must use the key.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    this.notifications = this.topic('Notifications', 'Vigil notifications');
    this.restrictToVigil(this.notifications);
    this.operations = this.topic('Operations', 'Vigil operational alarms');
    this.subscribeApprovers(this.node.tryGetContext('vigil:approvers'));

    this.signingSecret = new Secret(this, 'ApprovalSigningSecret', {
      description: 'HMAC key that signs approval links',
      encryptionKey: this.key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.adminKeySecret = new Secret(this, 'AdminApiKey', {
      description: 'Admin API key of Vigil (x-api-key)',
      encryptionKey: this.key,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const secret of [this.signingSecret, this.adminKeySecret]) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Rotated by the operator (see README, Operations): rotating the signing secret invalidates links in flight and the admin key is held by people, so neither rotates on a timer.',
      });
    }

    this.evidenceKey = this.evidenceSigningKey();
    [this.webhookQueue, this.webhookDeadLetters] = this.webhookQueues();

    new CfnOutput(this, 'AdminKeySecretArn', { value: this.adminKeySecret.secretArn });
    new CfnOutput(this, 'NotificationsTopicArn', { value: this.notifications.topicArn });
    new CfnOutput(this, 'OperationsTopicArn', { value: this.operations.topicArn });
  }

  /**
   * The asymmetric key that signs evidence (`ECC_NIST_P256`, `SIGN_VERIFY`). Its policy lets the
   * account administer the key and read its public half, and lets one principal sign: the
   * evidence function's role, by name. No other role or user can sign, whatever IAM grants it.
   */
  private evidenceSigningKey(): Key {
    const generation = evidenceKeyGeneration(this.node.tryGetContext('vigil:evidenceKeyGeneration'));
    const account = new iam.AccountRootPrincipal();
    const key = new Key(this, generation === 1 ? 'EvidenceSigningKey' : `EvidenceSigningKey${generation}`, {
      description: `Signs the heads of Vigil incidents' governance hash chains (ES256), generation ${generation}`,
      keySpec: KeySpec.ECC_NIST_P256,
      keyUsage: KeyUsage.SIGN_VERIFY,
      removalPolicy: RemovalPolicy.RETAIN,
      policy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            sid: 'AdministerAndReadThePublicKey',
            principals: [account],
            actions: [
              'kms:Create*',
              'kms:Describe*',
              'kms:Enable*',
              'kms:List*',
              'kms:Put*',
              'kms:Update*',
              'kms:Revoke*',
              'kms:Disable*',
              'kms:Get*',
              'kms:Delete*',
              'kms:TagResource',
              'kms:UntagResource',
              'kms:ScheduleKeyDeletion',
              'kms:CancelKeyDeletion',
              'kms:Verify',
            ],
            resources: ['*'],
          }),
          new iam.PolicyStatement({
            sid: 'SignOnlyAsTheEvidenceFunction',
            principals: [account],
            actions: ['kms:Sign'],
            resources: ['*'],
            conditions: {
              ArnEquals: {
                'aws:PrincipalArn': this.formatArn({
                  service: 'iam',
                  region: '',
                  resource: 'role',
                  resourceName: evidenceSignerRoleName(this.region),
                }),
              },
            },
          }),
        ],
      }),
    });
    new CfnOutput(this, 'EvidenceSigningKeyArn', { value: key.keyArn });
    return key;
  }

  /**
   * The webhook queue and its dead-letter queue, both encrypted with the data key and refusing
   * requests without TLS. The delivery function (timeout 60 s) sees a message again after six
   * times its timeout when it failed to handle it, and five receives later the message moves to
   * the dead-letter queue, kept 14 days. A receiver's failures are not those: the function sends
   * the delivery back with a delay (see docs/architecture.md, "Webhooks").
   */
  private webhookQueues(): [Queue, Queue] {
    const deadLetters = new Queue(this, 'WebhookDeadLetters', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const queue = new Queue(this, 'WebhookQueue', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(360),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This is the dead-letter queue of the webhook queue.',
    });
    return [queue, deadLetters];
  }

  private table(definition: TableDefinition): TableV2 {
    const attribute = (key: KeyAttribute) => ({
      name: key.name,
      type: key.type === 'S' ? AttributeType.STRING : AttributeType.NUMBER,
    });
    return new TableV2(this, `${definition.id}Table`, {
      partitionKey: attribute(definition.partitionKey),
      ...(definition.sortKey ? { sortKey: attribute(definition.sortKey) } : {}),
      globalSecondaryIndexes: definition.globalIndexes.map((index) => ({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        ...(index.sortKey ? { sortKey: attribute(index.sortKey) } : {}),
      })),
      ...(definition.timeToLiveAttribute ? { timeToLiveAttribute: definition.timeToLiveAttribute } : {}),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: TableEncryptionV2.customerManagedKey(this.key),
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  private topic(id: string, displayName: string): Topic {
    return new Topic(this, id, { displayName, masterKey: this.key, enforceSSL: true });
  }

  /**
   * The topic takes publications and subscriptions from Vigil's function roles only (and
   * subscriptions from the CloudFormation execution role, which creates the deploy-time ones),
   * whatever other principals of the account are allowed by their own policies, and from none of
   * them without TLS: a message on this topic is a signed approval link, and a subscription
   * with a filter policy decides who receives it.
   */
  private restrictToVigil(topic: Topic): void {
    const vigilRoles = `arn:${this.partition}:iam::${this.account}:role${VIGIL_ROLE_PATH}*`;
    const synthesizer = this.synthesizer;
    const deployer =
      synthesizer instanceof DefaultStackSynthesizer
        ? [Fn.sub(synthesizer.cloudFormationExecutionRoleArn)]
        : [];
    const denyUnless = (sid: string, actions: string[], principals: string[]) =>
      new iam.PolicyStatement({
        sid,
        effect: iam.Effect.DENY,
        principals: [new iam.StarPrincipal()],
        actions,
        resources: [topic.topicArn],
        conditions: { StringNotLike: { 'aws:PrincipalArn': principals } },
      });
    topic.addToResourcePolicy(denyUnless('PublishFromVigilOnly', ['sns:Publish'], [vigilRoles]));
    topic.addToResourcePolicy(
      denyUnless('SubscribeFromVigilOnly', ['sns:Subscribe'], [vigilRoles, ...deployer]),
    );
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'SubscribeThroughTlsOnly',
        effect: iam.Effect.DENY,
        principals: [new iam.StarPrincipal()],
        actions: ['sns:Subscribe'],
        resources: [topic.topicArn],
        conditions: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  }

  /**
   * One email subscription to the notifications topic per address of the approvers
   * configuration (CDK context `vigil:approvers`: `{role: [emails]}`, as JSON or an object), each
   * with a filter policy on the `recipient` message attribute: every address receives only the
   * messages published for it, so a signed approval link reaches its recipient alone. Each
   * address confirms its subscription once, from the email SNS sends it.
   */
  private subscribeApprovers(context: unknown): void {
    const approvers: unknown = typeof context === 'string' ? JSON.parse(context) : (context ?? {});
    if (typeof approvers !== 'object' || approvers === null || Array.isArray(approvers)) {
      throw new Error(
        'vigil:approvers must be an object of role to email addresses, e.g. {"qa": ["qa@example.com"]}',
      );
    }
    const addresses = new Set<string>();
    for (const [role, emails] of Object.entries(approvers)) {
      if (
        !Array.isArray(emails) ||
        !emails.every((email) => typeof email === 'string' && /^[^@\s]+@[^@\s]+$/.test(email))
      ) {
        throw new Error(`vigil:approvers.${role} must be a list of email addresses`);
      }
      for (const email of emails as string[]) addresses.add(email.trim().toLowerCase());
    }
    for (const address of [...addresses].sort()) {
      this.notifications.addSubscription(
        new EmailSubscription(address, {
          filterPolicy: { recipient: SubscriptionFilter.stringFilter({ allowlist: [address] }) },
        }),
      );
    }
  }
}
