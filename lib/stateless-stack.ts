import {
  type CfnElement,
  CfnOutput,
  Duration,
  Names,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { CfnSamplingRule } from 'aws-cdk-lib/aws-xray';
import type { Construct } from 'constructs';
import { ApiFirewall } from './constructs/api-firewall.ts';
import { VigilFunction } from './constructs/vigil-function.ts';
import { evidenceEventsPrefix, evidenceSignerRoleName, retiredEvidenceKeys } from './evidence.ts';
import { type FunctionId, functionCatalog } from './functions.ts';
import { itemScopes } from './item-scopes.ts';
import { Observability } from './observability.ts';
import { authErrors, publicRouteThrottle, routes, type Throttle } from './routes.ts';
import type { StatefulStack } from './stateful-stack.ts';
import { governanceTable, telemetryTable } from './tables.ts';
import {
  baselineReviewDefinitionFile,
  baselineReviewFunctions,
  governanceDefinitionFile,
  governanceEventBusPlaceholder,
  governanceFunctions,
} from './workflow.ts';

export interface StatelessStackProps extends StackProps {
  readonly data: StatefulStack;
  /** Requests per second and burst of each method of the API stage, unless a route has its own. */
  readonly throttle?: Throttle;
}

/**
 * What runs: the REST API and the functions behind it. Everything here can be replaced by a
 * deployment without touching data.
 */
export class StatelessStack extends Stack {
  readonly api: apigw.RestApi;
  readonly functions: Record<FunctionId, VigilFunction>;
  /** The CloudWatch dashboard and the alarms to the operations topic. */
  readonly observability: Observability;
  /** The governance workflow (statemachines/governance.asl.json). */
  readonly governance: sfn.StateMachine;
  /** The baseline review (statemachines/baseline-review.asl.json). */
  readonly baselineReview: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);

    this.functions = Object.fromEntries(
      Object.entries(functionCatalog).map(([fid, definition]) => [
        fid,
        new VigilFunction(this, `${fid[0]?.toUpperCase()}${fid.slice(1)}`, {
          definition,
          // The evidence key's policy admits the signing role by this name.
          ...(fid === 'evidence' ? { roleName: evidenceSignerRoleName(this.region) } : {}),
        }),
      ]),
    ) as Record<FunctionId, VigilFunction>;

    const { data } = props;
    const fn = this.functions;
    fn.authorizer
      .useItems(governanceTable, data.governance, itemScopes.authorizer.Governance)
      .useSecret(data.adminKeySecret, 'ADMIN_KEY_SECRET_ARN');
    fn.registry.useTable(governanceTable, data.governance, 'readWrite');
    fn.ingest
      .useItems(governanceTable, data.governance, itemScopes.ingest.Governance)
      .useItems(telemetryTable, data.telemetry, itemScopes.ingest.Telemetry);

    const stageName = 'v1';
    const stageThrottle: Throttle = props.throttle ?? { rateLimit: 1000, burstLimit: 2000 };
    const approvalConcurrency = contextInteger(this, 'vigil:approvalConcurrency');
    if (approvalConcurrency !== undefined) fn.approvals.reserveConcurrency(approvalConcurrency);
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: RetentionDays.THREE_MONTHS });
    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: 'vigil',
      description: 'Vigil: ingestion, registry, incidents and approvals',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // Every body with a media type reaches a function as base64, never escaped, so the body
      // limit keeps the event within Lambda's (docs/architecture.md, "Request size").
      binaryMediaTypes: ['*/*'],
      cloudWatchRole: true,
      deployOptions: {
        stageName,
        tracingEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.INFO,
        metricsEnabled: true,
        dataTraceEnabled: false,
        throttlingRateLimit: stageThrottle.rateLimit,
        throttlingBurstLimit: stageThrottle.burstLimit,
        // The public routes get their own, lower limits: a flood of them is refused on its own.
        methodOptions: publicMethodOptions(stageThrottle),
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
      },
    });
    const authorizer = new apigw.RequestAuthorizer(this, 'KeyAuthorizer', {
      handler: fn.authorizer.function,
      identitySources: [apigw.IdentitySource.header('x-api-key')],
      resultsCacheTtl: Duration.minutes(5),
    });
    for (const [type, refusal] of [
      [apigw.ResponseType.UNAUTHORIZED, authErrors.unauthorized],
      [apigw.ResponseType.ACCESS_DENIED, authErrors.forbidden],
    ] as const) {
      this.api.addGatewayResponse(`${refusal.body.error.code}Response`, {
        type,
        statusCode: String(refusal.statusCode),
        responseHeaders: { 'Content-Type': "'application/json'" },
        templates: { 'application/json': JSON.stringify(refusal.body) },
      });
    }
    // A revoked key must stop working at once, so the registry flushes the authorizer cache.
    fn.registry.setEnv('API_ID', this.api.restApiId).setEnv('API_STAGE', stageName);
    fn.registry.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['apigateway:DELETE'],
        resources: [
          Stack.of(this).formatArn({
            service: 'apigateway',
            account: '',
            resource: `/restapis/${this.api.restApiId}/stages/${stageName}/cache/authorizers`,
          }),
        ],
      }),
    );

    this.evaluations(data, stageName);
    this.governance = this.governanceWorkflow(data, stageName);
    this.baselineReview = this.baselineReviewWorkflow();
    this.subscriptions(data, stageName);
    this.evidence(data);
    this.webhooks(data, stageName);

    const validator = this.api.addRequestValidator('Validator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    for (const route of routes) {
      const resource = this.api.root.resourceForPath(route.path);
      const method = resource.addMethod(
        route.method,
        new apigw.LambdaIntegration(this.functions[route.handler].function),
        route.auth === 'apiKey'
          ? { requestValidator: validator, authorizer, authorizationType: apigw.AuthorizationType.CUSTOM }
          : { requestValidator: validator },
      );
      if (route.auth === 'none') {
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${route.method} ${route.path} is public by design (health probe, API description or signed approval page).`,
        });
      }
    }

    this.untracedApprovalLinks(stageName);

    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'Callers are model endpoints and operators holding API keys, checked by the request authorizer; people approve through signed links, not user pools.',
    });
    new ApiFirewall(this, 'Firewall', {
      stage: this.api.deploymentStage,
      publicRoutes: routes.filter((route) => route.auth === 'none'),
      rateLimit: contextInteger(this, 'vigil:wafRateLimit'),
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: 'The account-level role that lets API Gateway write its execution and access logs.',
    });

    this.observability = new Observability(this, 'Observability', {
      functions: this.functions,
      api: this.api,
      stateMachine: this.governance,
      baselineReview: this.baselineReview,
      alarmTopic: data.operations,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
  }

  /**
   * API Gateway records each traced request's URL, query string included, and a link sent by
   * email carries its signature in the query string. A sampling rule per signed-link route
   * (`/approvals/...`, `/views/...`: every route of the approvals function), first in priority,
   * keeps those requests on this stage out of X-Ray (and so the function behind them too).
   */
  private untracedApprovalLinks(stageName: string): void {
    const prefixes = new Set(
      routes.filter((route) => route.handler === 'approvals').map((route) => route.path.split('/')[1] ?? ''),
    );
    for (const prefix of prefixes) {
      const id =
        prefix === 'approvals'
          ? 'ApprovalLinksUntraced'
          : `${prefix[0]?.toUpperCase()}${prefix.slice(1)}LinksUntraced`;
      new CfnSamplingRule(this, id, {
        samplingRule: {
          // At most 32 characters, unique in the account and region.
          ruleName: `${Names.uniqueResourceName(this, { maxLength: 31 - prefix.length, separator: '-' })}-${prefix}`,
          priority: 1,
          fixedRate: 0,
          reservoirSize: 0,
          serviceName: '*',
          serviceType: 'AWS::ApiGateway::Stage',
          host: '*',
          httpMethod: '*',
          urlPath: `*/${prefix}/*`,
          resourceArn: Stack.of(this).formatArn({
            service: 'apigateway',
            account: '',
            resource: `/restapis/${this.api.restApiId}/stages/${stageName}`,
          }),
          version: 1,
        },
      });
    }
  }

  /** The public base URL of the API, from the API's id alone (no dependency on its deployment). */
  publicUrl(stageName: string): string {
    const configured = this.node.tryGetContext('vigil:publicUrl') as string | undefined;
    return (
      configured ?? `https://${this.api.restApiId}.execute-api.${this.region}.${this.urlSuffix}/${stageName}`
    );
  }

  /**
   * Scheduled evaluations (SOP 6.2): EventBridge Scheduler invokes the evaluation function every
   * minute; the function evaluates each model whose own `schedule.every` or `schedule.cron` is due.
   */
  private evaluations(data: StatefulStack, stageName: string): void {
    const { evaluations, scheduledEvaluation } = this.functions;
    for (const fn of [evaluations, scheduledEvaluation]) {
      // Telemetry writes: evaluations compact the closed buckets they read (deltas.ts).
      // The signing key: a monitoring alert carries each recipient's signed read-only links.
      fn.useTable(governanceTable, data.governance, 'readWrite')
        .useTable(telemetryTable, data.telemetry, 'readWrite')
        .useSecret(data.signingSecret, 'SIGNING_SECRET_ARN')
        .setEnv('PUBLIC_URL', this.publicUrl(stageName));
    }
    // Reports read, within their keys (item-scopes.ts).
    this.functions.reports
      .useItems(governanceTable, data.governance, itemScopes.reports.Governance)
      .useItems(telemetryTable, data.telemetry, itemScopes.reports.Telemetry);
    // Listing and reading evaluations: the governance table, read-only.
    this.functions.evaluationReads.useTable(governanceTable, data.governance, 'read');
    // The scheduler's own role may invoke this function and nothing else (no version wildcard).
    const schedulerRole = new iam.Role(this, 'EvaluationSchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
      description: 'EventBridge Scheduler: invoke the scheduled evaluation',
    });
    schedulerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [scheduledEvaluation.function.functionArn],
      }),
    );
    Validations.of(schedulerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(scheduledEvaluation.function.node.defaultChild as CfnElement)}.Arn>:*]`,
      reason:
        'The scheduler target grants invoke on the one evaluation function and its versions; no other function.',
    });
    new Schedule(this, 'EvaluationSchedule', {
      description: 'Evaluates every Vigil model whose schedule is due',
      schedule: ScheduleExpression.rate(Duration.minutes(1)),
      target: new LambdaInvoke(scheduledEvaluation.function, {
        role: schedulerRole,
        retryAttempts: 2,
        maxEventAge: Duration.minutes(5),
      }),
    });
  }

  /**
   * The governance workflow (SOP 6.3-6.8): the state machine loaded from its ASL file with the
   * task functions' ARNs substituted, logged and traced, allowed to invoke exactly those
   * functions and to put its events on the default bus; the functions of its human steps and of
   * the incident API; an alarm to the operations topic when an execution fails.
   */
  private governanceWorkflow(data: StatefulStack, stageName: string): sfn.StateMachine {
    const fn = this.functions;
    for (const f of [fn.workflowApproval, fn.workflowSteps]) {
      f.useTable(governanceTable, data.governance, 'readWrite');
    }
    fn.workflowRecords.useItems(governanceTable, data.governance, itemScopes.workflowRecords.Governance);
    fn.incidents.useItems(governanceTable, data.governance, itemScopes.incidents.Governance);
    fn.approvals
      .useItems(governanceTable, data.governance, itemScopes.approvals.Governance)
      .useItems(telemetryTable, data.telemetry, itemScopes.approvals.Telemetry);
    fn.workflowApproval
      .useSecret(data.signingSecret, 'SIGNING_SECRET_ARN')
      .setEnv('PUBLIC_URL', this.publicUrl(stageName));
    // Window profiles and the public URL: the read-only evaluation report and the links to it.
    fn.approvals
      .useSecret(data.signingSecret, 'SIGNING_SECRET_ARN')
      .useItems(telemetryTable, data.telemetry, itemScopes.approvals.Telemetry)
      .setEnv('PUBLIC_URL', this.publicUrl(stageName));

    const bus = EventBus.fromEventBusName(this, 'DefaultEventBus', 'default');
    const role = new iam.Role(this, 'GovernanceRole', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: 'Execution role of the Vigil governance workflow',
    });
    const taskFunctions = Object.values(governanceFunctions).map((id) => fn[id].function);
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: taskFunctions.map((f) => f.functionArn),
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [bus.eventBusArn] }),
    );
    const machine = new sfn.StateMachine(this, 'Governance', {
      definitionBody: sfn.DefinitionBody.fromFile(governanceDefinitionFile),
      definitionSubstitutions: {
        ...Object.fromEntries(
          Object.entries(governanceFunctions).map(([placeholder, id]) => [
            placeholder,
            fn[id].function.functionArn,
          ]),
        ),
        [governanceEventBusPlaceholder]: bus.eventBusName,
      },
      role,
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, 'GovernanceLogs', { retention: RetentionDays.ONE_YEAR }),
        level: sfn.LogLevel.ALL,
        // Task tokens, approvers' comments and candidates stay out of the logs: the audit trail keeps decisions.
        includeExecutionData: false,
      },
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions log delivery (logs:CreateLogDelivery and friends) and X-Ray support no resource-level permissions.',
    });

    // Resuming waiting tasks: the decision pages, the candidate callback, and the evaluations,
    // scheduled or on demand (a revert is done once production alone served a window).
    for (const f of [fn.incidents, fn.approvals, fn.evaluations, fn.scheduledEvaluation]) {
      machine.grantTaskResponse(f.role);
      f.setEnv('STATE_MACHINE_ARN', machine.stateMachineArn);
    }
    // Starting executions and alerting people: whatever opens incidents.
    for (const f of [fn.evaluations, fn.scheduledEvaluation]) {
      machine.grantStartExecution(f.role);
      f.setEnv('STATE_MACHINE_ARN', machine.stateMachineArn);
    }
    // Ingest opens an incident for a batch served by an unapproved version, and starts its
    // workflow (whose first step emails the Data Science Lead): no notification access.
    machine.grantStartExecution(fn.ingest.role);
    fn.ingest.setEnv('STATE_MACHINE_ARN', machine.stateMachineArn);
    for (const f of [fn.workflowApproval, fn.workflowSteps, fn.evaluations, fn.scheduledEvaluation]) {
      this.allowNotifications(f, data.notifications);
    }
    // Authorized agents: the incident API (which agents' keys reach) records an agent's decision
    // but holds no signing key; the scheduled tick, which does, emails the step's role their
    // signed links to overrule it, and applies the decisions whose overrule window has ended.
    machine.grantTaskResponse(fn.scheduledEvaluation.role);

    new CfnOutput(this, 'GovernanceStateMachineArn', { value: machine.stateMachineArn });
    return machine;
  }

  /**
   * The baseline review (SOP Appendix A): its own state machine, with the governance workflow's
   * task functions (set up by `governanceWorkflow`), logged without execution data and traced.
   * Its role may invoke exactly those functions. The scheduled evaluation alone starts reviews;
   * the decision pages and the registry (whose baseline PUT ends the wait for a new baseline)
   * resume its waiting tasks.
   */
  private baselineReviewWorkflow(): sfn.StateMachine {
    const fn = this.functions;
    const role = new iam.Role(this, 'BaselineReviewRole', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: 'Execution role of the Vigil baseline review',
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: Object.values(baselineReviewFunctions).map((id) => fn[id].function.functionArn),
      }),
    );
    const machine = new sfn.StateMachine(this, 'BaselineReview', {
      definitionBody: sfn.DefinitionBody.fromFile(baselineReviewDefinitionFile),
      definitionSubstitutions: Object.fromEntries(
        Object.entries(baselineReviewFunctions).map(([placeholder, id]) => [
          placeholder,
          fn[id].function.functionArn,
        ]),
      ),
      role,
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, 'BaselineReviewLogs', { retention: RetentionDays.ONE_YEAR }),
        level: sfn.LogLevel.ALL,
        // Task tokens and comments stay out of the logs: the audit trail keeps decisions.
        includeExecutionData: false,
      },
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions log delivery (logs:CreateLogDelivery and friends) and X-Ray support no resource-level permissions.',
    });
    const env = 'BASELINE_REVIEW_STATE_MACHINE_ARN';
    for (const f of [fn.approvals, fn.registry]) {
      machine.grantTaskResponse(f.role);
      f.setEnv(env, machine.stateMachineArn);
    }
    machine.grantStartExecution(fn.scheduledEvaluation.role);
    fn.scheduledEvaluation.setEnv(env, machine.stateMachineArn);
    new CfnOutput(this, 'BaselineReviewStateMachineArn', { value: machine.stateMachineArn });
    return machine;
  }

  /**
   * Approvers' subscriptions follow the registry: the registry function subscribes the addresses a
   * model names (and reads their state, and resends confirmations); a scheduled function reads the
   * state of every subscription every five minutes and sends the requests waiting for an address
   * that has confirmed since.
   */
  private subscriptions(data: StatefulStack, stageName: string): void {
    const { registry, deliveryRefresh } = this.functions;
    this.allowSubscriptions(registry, data.notifications);
    deliveryRefresh
      .useTable(governanceTable, data.governance, 'readWrite')
      .useSecret(data.signingSecret, 'SIGNING_SECRET_ARN')
      .setEnv('PUBLIC_URL', this.publicUrl(stageName));
    this.allowNotifications(deliveryRefresh, data.notifications);
    this.allowSubscriptions(deliveryRefresh, data.notifications);

    const role = new iam.Role(this, 'DeliveryRefreshSchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
      description: "EventBridge Scheduler: invoke the refresh of approvers' subscription states",
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [deliveryRefresh.function.functionArn],
      }),
    );
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(deliveryRefresh.function.node.defaultChild as CfnElement)}.Arn>:*]`,
      reason:
        'The scheduler target grants invoke on the one refresh function and its versions; no other function.',
    });
    new Schedule(this, 'DeliveryRefreshSchedule', {
      description: "Refreshes the state of approvers' email subscriptions",
      schedule: ScheduleExpression.rate(Duration.minutes(5)),
      target: new LambdaInvoke(deliveryRefresh.function, {
        role,
        retryAttempts: 2,
        maxEventAge: Duration.minutes(5),
      }),
    });
  }

  /**
   * Lets a function manage the email subscriptions of the notifications topic, and nothing else of
   * it: subscribe an address, read subscription states, unsubscribe. Subscribing needs no key use.
   */
  private allowSubscriptions(f: VigilFunction, topic: ITopic): void {
    f.role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'sns:Subscribe',
          'sns:Unsubscribe',
          'sns:ListSubscriptionsByTopic',
          'sns:GetSubscriptionAttributes',
        ],
        resources: [topic.topicArn],
      }),
    );
    f.setEnv('NOTIFICATIONS_TOPIC_ARN', topic.topicArn);
  }

  /**
   * Tamper-evident governance records: the evidence function alone signs with the evidence key
   * and reads the public keys (the current one and the retired ones); chain events are
   * append-only for every function, and only the functions that record governance events may
   * add them.
   */
  private evidence(data: StatefulStack): void {
    const { evidence } = this.functions;
    const retired = retiredEvidenceKeys(this.node.tryGetContext('vigil:retiredEvidenceKeys'));
    evidence
      .useTable(governanceTable, data.governance, 'readWrite')
      .setEnv('EVIDENCE_KEY_ID', data.evidenceKey.keyArn)
      .setEnv('EVIDENCE_RETIRED_KEY_IDS', retired.join(','));
    evidence.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['kms:Sign'], resources: [data.evidenceKey.keyArn] }),
    );
    evidence.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:GetPublicKey'],
        resources: [data.evidenceKey.keyArn, ...retired],
      }),
    );

    const appenders = new Set<FunctionId>([
      'evaluations',
      'scheduledEvaluation',
      'incidents',
      'approvals',
      'workflowApproval',
      'workflowSteps',
      'workflowRecords',
      // The baseline PUT that resumes a baseline review records the new baseline in its chain.
      'registry',
    ]);
    const eventItems = {
      'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': [`${evidenceEventsPrefix}*`] },
    };
    const resources = [
      data.governance.tableArn,
      ...governanceTable.globalIndexes.map((index) => `${data.governance.tableArn}/index/${index.indexName}`),
    ];
    for (const [id, f] of Object.entries(this.functions) as [FunctionId, VigilFunction][]) {
      f.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ChainEventsAreNeverChanged',
          effect: iam.Effect.DENY,
          actions: [
            'dynamodb:UpdateItem',
            'dynamodb:DeleteItem',
            'dynamodb:BatchWriteItem',
            'dynamodb:PartiQLUpdate',
            'dynamodb:PartiQLDelete',
            ...(appenders.has(id) ? [] : ['dynamodb:PutItem', 'dynamodb:PartiQLInsert']),
          ],
          resources,
          conditions: eventItems,
        }),
      );
    }
  }

  /**
   * Outbound webhooks: the API function keeps webhooks and queues test events; the delivery
   * function consumes the webhook queue (batches of ten, failed messages reported one by one),
   * reads webhooks and writes failed deliveries only, and sends deliveries back to the queue
   * for their retries. Both open webhook secrets with the signing secret. The functions that
   * publish events may send to the queue, and do nothing else with it.
   */
  private webhooks(data: StatefulStack, stageName: string): void {
    const { webhooks, webhookDelivery } = this.functions;
    webhooks
      .useItems(governanceTable, data.governance, itemScopes.webhooks.Governance)
      .useSecret(data.signingSecret, 'SIGNING_SECRET_ARN');
    webhookDelivery
      .useItems(governanceTable, data.governance, itemScopes.webhookDelivery.Governance)
      .useSecret(data.signingSecret, 'SIGNING_SECRET_ARN')
      .setEnv('PUBLIC_URL', this.publicUrl(stageName));
    webhookDelivery.function.addEventSource(
      new SqsEventSource(data.webhookQueue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
      }),
    );
    const publishers: FunctionId[] = [
      'ingest',
      'incidents',
      'evaluations',
      'scheduledEvaluation',
      'workflowApproval',
      'workflowSteps',
      'approvals',
      'webhooks',
      'webhookDelivery',
    ];
    for (const id of publishers) this.allowWebhookEvents(this.functions[id], data.webhookQueue);
    // A message in the dead-letter queue is an event or a delivery Vigil could not handle: MLOps looks.
    new cloudwatch.Alarm(this, 'WebhookDeadLettersAlarm', {
      alarmDescription:
        'Webhook messages the delivery function could not handle are in the dead-letter queue',
      metric: data.webhookDeadLetters.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new SnsAction(data.operations));
  }

  /** Lets a function put messages on the webhook queue (encrypted with the data key), and nothing else. */
  private allowWebhookEvents(f: VigilFunction, queue: IQueue): void {
    f.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
    );
    if (queue.encryptionMasterKey) {
      f.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [queue.encryptionMasterKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `sqs.${this.region}.amazonaws.com` } },
        }),
      );
    }
    f.setEnv('WEBHOOK_QUEUE_URL', queue.queueUrl);
  }

  /** Lets a function email people: publish to the notifications topic (encrypted with the data key). */
  private allowNotifications(f: VigilFunction, topic: ITopic): void {
    f.role.addToPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }));
    if (topic.masterKey) {
      f.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [topic.masterKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `sns.${this.region}.amazonaws.com` } },
        }),
      );
    }
    f.setEnv('NOTIFICATIONS_TOPIC_ARN', topic.topicArn);
  }
}

/**
 * Stage method settings (`/{resource path}/{METHOD}`) for the public routes: each gets its own
 * limits from the route table, never above the stage's, so that the unauthenticated surface is
 * throttled long before the model endpoints' ingest routes.
 */
function publicMethodOptions(stage: Throttle): Record<string, apigw.MethodDeploymentOptions> {
  return Object.fromEntries(
    routes
      .filter((route) => route.auth === 'none')
      .map((route) => {
        const limit = publicRouteThrottle(route);
        return [
          `${route.path}/${route.method}`,
          {
            throttlingRateLimit: Math.min(limit.rateLimit, stage.rateLimit),
            throttlingBurstLimit: Math.min(limit.burstLimit, stage.burstLimit),
          },
        ];
      }),
  );
}

/** A positive whole number from the CDK context (`-c name=N`), or undefined when not set. */
function contextInteger(scope: Construct, name: string): number | undefined {
  const raw: unknown = scope.node.tryGetContext(name);
  if (raw === undefined || raw === null || raw === '') return undefined;
  const value = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive whole number, got ${JSON.stringify(raw)}`);
  }
  return value;
}
