import { Metrics } from '@aws-lambda-powertools/metrics';

/** CloudWatch metrics in embedded metric format; namespace from POWERTOOLS_METRICS_NAMESPACE. */
export const metrics = new Metrics();
