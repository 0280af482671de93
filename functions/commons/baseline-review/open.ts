import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics } from '#powertools/metrics';
import { ensureWorkflowStarted, openIncident } from '../incidents/open.ts';
import { updateIncident } from '../incidents/store.ts';
import type { BaselineReview, IncidentRecord } from '../incidents/types.ts';
import type { ModelRecord } from '../registry/store.ts';
import { incidentData } from '../webhooks/emit.ts';
import { publishEvents } from '../webhooks/publish.ts';
import { baselineReviewDays, baselineReviewDueAt } from './due.ts';

/**
 * The scheduled run's part of the baseline review (SOP Appendix A): when the model's baseline is
 * due for review at `now` (`governance.baselineReviewDays` after it was fitted or last reviewed),
 * the model's `baseline_review` incident opens, or the one already open is found (one per model
 * and kind), and its workflow starts (again idempotent: a crash in between is repaired on the
 * next run). Answers the review incident, or undefined when none is due.
 */
export async function openDueBaselineReview(
  model: ModelRecord,
  now: Date,
): Promise<{ incident: IncidentRecord; created: boolean } | undefined> {
  const dueAt = baselineReviewDueAt(model);
  if (!dueAt || now.getTime() < dueAt.getTime() || model.baselineVersion === undefined) return undefined;
  const review: BaselineReview = {
    baselineVersion: model.baselineVersion,
    fittedAt: model.baselineCreatedAt as string,
    ...(model.baselineReviewedAt ? { reviewedAt: model.baselineReviewedAt } : {}),
    reviewDays: baselineReviewDays(model),
    dueAt: dueAt.toISOString(),
  };
  const opened = await openIncident({
    kind: 'baseline_review',
    modelId: model.modelId,
    version: model.productionVersion ?? 'unversioned',
    reasons: [
      `Baseline ${review.baselineVersion} (fitted ${review.fittedAt}${review.reviewedAt ? `, last reviewed ${review.reviewedAt}` : ''}) is due for its review every ${review.reviewDays} days, since ${review.dueAt}`,
    ],
    details: { baselineReview: review },
    actor: 'schedule',
  });
  let incident = opened.incident;
  // Kept on the incident for the steps; written after the incident, and repaired here if a crash came in between.
  if (incident.status === 'open' && !incident.baselineReview) {
    incident = await updateIncident(incident.incidentId, { set: { baselineReview: review } });
  }
  if (opened.created) {
    metrics.addMetric('BaselineReviewsOpened', MetricUnit.Count, 1);
    await publishEvents([{ type: 'incident.opened', data: incidentData(incident, model.name) }]);
  }
  if (incident.status === 'open' && !incident.executionArn) incident = await ensureWorkflowStarted(incident);
  return { incident, created: opened.created };
}
