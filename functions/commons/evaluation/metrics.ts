import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics } from '#powertools/metrics';
import type { EvaluationRecord } from './store.ts';

/** SOP metric 1 and the dashboard's series: evaluations by status, drifted features, deviations. */
export function recordEvaluationMetrics(evaluation: EvaluationRecord): void {
  const single = metrics.singleMetric();
  single.addDimension('status', evaluation.status);
  single.addMetric('Evaluations', MetricUnit.Count, 1);
  metrics.addMetric('DriftedFeatures', MetricUnit.Count, evaluation.drift.dataset.driftedColumns);
  metrics.addMetric(
    'PerformanceDeviations',
    MetricUnit.Count,
    evaluation.performance.checks.filter((c) => c.ok === false).length,
  );
}
