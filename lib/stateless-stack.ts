import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { VigilFunction } from './constructs/vigil-function.ts';
import { type FunctionId, functionCatalog } from './functions.ts';
import { authErrors, routes } from './routes.ts';
import type { StatefulStack } from './stateful-stack.ts';
import { governanceTable, telemetryTable } from './tables.ts';

export interface StatelessStackProps extends StackProps {
  readonly data: StatefulStack;
  /** Requests per second and burst for the whole API stage. */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
}

/**
 * What runs: the REST API and the functions behind it. Everything here can be replaced by a
 * deployment without touching data.
 */
export class StatelessStack extends Stack {
  readonly api: apigw.RestApi;
  readonly functions: Record<FunctionId, VigilFunction>;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);

    this.functions = Object.fromEntries(
      Object.entries(functionCatalog).map(([fid, definition]) => [
        fid,
        new VigilFunction(this, `${fid[0]?.toUpperCase()}${fid.slice(1)}`, { definition }),
      ]),
    ) as Record<FunctionId, VigilFunction>;

    const { data } = props;
    const fn = this.functions;
    fn.authorizer
      .useTable(governanceTable, data.governance, 'read')
      .useSecret(data.adminKeySecret, 'ADMIN_KEY_SECRET_ARN');
    fn.registry.useTable(governanceTable, data.governance, 'readWrite');
    fn.ingest
      .useTable(governanceTable, data.governance, 'readWrite')
      .useTable(telemetryTable, data.telemetry, 'readWrite');

    const stageName = 'v1';
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: RetentionDays.THREE_MONTHS });
    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: 'vigil',
      description: 'Vigil: ingestion, registry, incidents and approvals',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: true,
      deployOptions: {
        stageName,
        tracingEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.INFO,
        metricsEnabled: true,
        dataTraceEnabled: false,
        throttlingRateLimit: props.throttle?.rateLimit ?? 1000,
        throttlingBurstLimit: props.throttle?.burstLimit ?? 2000,
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

    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'Callers are model endpoints and operators holding API keys, checked by the request authorizer; people approve through signed links, not user pools.',
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'The web ACL is an account-level choice; the stage is throttled and every data route needs a key.',
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: 'The account-level role that lets API Gateway write its execution and access logs.',
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
  }
}
