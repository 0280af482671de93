import { CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { VigilFunction } from './constructs/vigil-function.ts';
import { type FunctionId, functionCatalog } from './functions.ts';
import { routes } from './routes.ts';
import type { StatefulStack } from './stateful-stack.ts';

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

    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: RetentionDays.THREE_MONTHS });
    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: 'vigil',
      description: 'Vigil: ingestion, registry, incidents and approvals',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: true,
      deployOptions: {
        stageName: 'v1',
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
    const validator = this.api.addRequestValidator('Validator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    for (const route of routes) {
      const resource = this.api.root.resourceForPath(route.path);
      const method = resource.addMethod(
        route.method,
        new apigw.LambdaIntegration(this.functions[route.handler].function),
        { requestValidator: validator },
      );
      if (route.auth === 'none') {
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${route.method} ${route.path} is public by design (health probe or signed approval page).`,
        });
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-COG4',
          reason: `${route.method} ${route.path} is public by design (health probe or signed approval page).`,
        });
      }
    }

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
