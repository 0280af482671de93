import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { VigilFunction } from './constructs/vigil-function.ts';

export interface ObservabilityProps {
  readonly functions: Record<string, VigilFunction>;
  readonly api: apigw.RestApi;
  readonly stateMachine?: sfn.IStateMachine;
  /** The baseline review's state machine: its failed executions alarm like the governance workflow's. */
  readonly baselineReview?: sfn.IStateMachine;
  /** Where alarms go: the MLOps on-call topic. */
  readonly alarmTopic: ITopic;
  /** Authorizer denials in five minutes that count as a spike (default 100). */
  readonly denialSpike?: number;
}

/** Vigil's own metrics (Powertools EMF, namespace `Vigil`, dimension `service`). */
function vigilMetric(
  metricName: string,
  dimensions: Record<string, string> = {},
  statistic = 'Sum',
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'Vigil',
    metricName,
    dimensionsMap: { service: 'vigil', ...dimensions },
    statistic,
    period: Duration.minutes(5),
  });
}

/**
 * What ops watch (SOP 6.7): a CloudWatch dashboard of ingest volume and rejections, evaluations
 * by status, drifted features and performance deviations, incidents and workflow outcomes,
 * approval decisions, and every function's errors and duration; and alarms to the MLOps topic
 * for function errors, failed or timed-out executions, and a spike of refused API keys.
 */
export class Observability extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const action = new SnsAction(props.alarmTopic);
    const alarm = (alarmId: string, options: cloudwatch.AlarmProps) => {
      const created = new cloudwatch.Alarm(this, alarmId, options);
      created.addAlarmAction(action);
      this.alarms.push(created);
      return created;
    };

    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(`${name}Errors`, {
        alarmDescription: `Vigil function ${name} failed (SOP 6.1.3: monitoring must not fail silently)`,
        metric: fn.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    if (props.stateMachine) {
      alarm('ExecutionsFailed', {
        alarmDescription: 'A governance workflow execution failed or timed out',
        metric: new cloudwatch.MathExpression({
          expression: 'failed + timedOut',
          usingMetrics: {
            failed: props.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
            timedOut: props.stateMachine.metricTimedOut({ period: Duration.minutes(5), statistic: 'Sum' }),
          },
          period: Duration.minutes(5),
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    if (props.baselineReview) {
      alarm('BaselineReviewExecutionsFailed', {
        alarmDescription: 'A baseline review execution failed or timed out',
        metric: new cloudwatch.MathExpression({
          expression: 'failed + timedOut',
          usingMetrics: {
            failed: props.baselineReview.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
            timedOut: props.baselineReview.metricTimedOut({ period: Duration.minutes(5), statistic: 'Sum' }),
          },
          period: Duration.minutes(5),
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    alarm('AuthorizerDenialsSpike', {
      alarmDescription: 'Many requests with unknown or revoked API keys: a leaked or misconfigured key',
      metric: vigilMetric('AuthorizerDenials'),
      threshold: props.denialSpike ?? 100,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const functions = Object.entries(props.functions);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: 'vigil',
      defaultInterval: Duration.hours(24),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          '# Vigil\nPost-production monitoring and governance (SOP-1013-01-AI). Incidents: `GET /v1/incidents`; executions are named after their incident.',
        width: 24,
        height: 2,
      }),
      new cloudwatch.GraphWidget({
        title: 'Ingest volume',
        left: [
          vigilMetric('PredictionsIngested'),
          vigilMetric('ActualsMatched'),
          vigilMetric('MetricPointsIngested'),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Ingest rejections',
        left: [
          vigilMetric('PredictionsRejected'),
          vigilMetric('ActualsRejected'),
          vigilMetric('MetricPointsRejected'),
          vigilMetric('AuthorizerDenials'),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Evaluations by status',
        left: ['ok', 'breach', 'insufficient_data'].map((status) => vigilMetric('Evaluations', { status })),
        stacked: true,
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Drifted features and performance deviations (SOP metric 1)',
        left: [vigilMetric('DriftedFeatures'), vigilMetric('PerformanceDeviations')],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Incidents and workflow executions',
        left: [vigilMetric('IncidentsOpened'), vigilMetric('IncidentsClosed')],
        right: props.stateMachine
          ? [
              props.stateMachine.metricStarted(),
              props.stateMachine.metricSucceeded(),
              props.stateMachine.metricFailed(),
              props.stateMachine.metricTimedOut(),
            ]
          : [],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function errors',
        left: functions.map(([name, fn]) =>
          fn.function.metricErrors({ label: name, period: Duration.minutes(5) }),
        ),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function duration (p99)',
        left: functions.map(([name, fn]) =>
          fn.function.metricDuration({ label: name, statistic: 'p99', period: Duration.minutes(5) }),
        ),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'API requests, 4XX and 5XX',
        left: [props.api.metricCount(), props.api.metricClientError(), props.api.metricServerError()],
        width: 12,
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 12 }),
    );
  }
}
