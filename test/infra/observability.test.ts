import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../bin/vigil.ts';
import { functionCatalog } from '../../lib/functions.ts';
import { cdkApp } from './app.ts';

describe('observability (CDK)', () => {
  let service: Template;

  beforeAll(() => {
    service = Template.fromStack(buildApp(cdkApp({ 'aws:cdk:bundling-stacks': [] })).service);
  });

  const operationsTopic = (actions: unknown) =>
    expect(actions).toEqual([
      expect.objectContaining({ 'Fn::ImportValue': expect.stringMatching(/Operations/) }),
    ]);

  it('builds one dashboard with the ingest, evaluation, incident, execution and function views', () => {
    const dashboards = Object.values(service.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);
    for (const title of [
      'Ingest volume',
      'Ingest rejections',
      'Evaluations by status',
      'Drifted features and performance deviations (SOP metric 1)',
      'Incidents and workflow executions',
      'Function errors',
      'Function duration (p99)',
      'Alarms',
    ]) {
      expect(body).toContain(title);
    }
    for (const metric of [
      'PredictionsIngested',
      'PredictionsRejected',
      'DriftedFeatures',
      'PerformanceDeviations',
      'IncidentsOpened',
      'ExecutionsFailed',
    ]) {
      expect(body).toContain(metric);
    }
    for (const status of ['ok', 'breach', 'insufficient_data'])
      expect(body).toMatch(new RegExp(`status[^a-z]+${status}`));
  });

  it('alarms the operations topic on any function error, one alarm per function', () => {
    const alarms = Object.values(service.findResources('AWS::CloudWatch::Alarm'));
    const errorAlarms = alarms.filter(
      (a) => a.Properties.MetricName === 'Errors' && a.Properties.Namespace === 'AWS/Lambda',
    );
    expect(errorAlarms).toHaveLength(Object.keys(functionCatalog).length);
    for (const alarm of errorAlarms) {
      expect(alarm.Properties).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      operationsTopic(alarm.Properties.AlarmActions);
    }
  });

  it('alarms on a spike of refused API keys', () => {
    const spike = Object.values(service.findResources('AWS::CloudWatch::Alarm')).find(
      (a) => a.Properties.MetricName === 'AuthorizerDenials',
    );
    expect(spike?.Properties).toMatchObject({
      Namespace: 'Vigil',
      Dimensions: [{ Name: 'service', Value: 'vigil' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 100,
    });
    operationsTopic(spike?.Properties.AlarmActions);
  });
});
