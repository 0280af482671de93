import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { StepFailedError } from '#commons/workflow/errors';
import { metrics } from '#powertools/metrics';
import { getIncident } from '../incidents/store.ts';
import { recordStep } from '../incidents/track.ts';
import type { BaselineReview, IncidentRecord } from '../incidents/types.ts';
import { useBaseline } from '../registry/baseline-use.ts';
import { markBaselineReviewed } from './store.ts';

async function openReview(incidentId: string): Promise<IncidentRecord & { baselineReview: BaselineReview }> {
  const incident = await getIncident(incidentId);
  if (!incident) throw new StepFailedError(`Incident ${incidentId} does not exist`);
  if (incident.status !== 'open') throw new StepFailedError(`Incident ${incidentId} is ${incident.status}`);
  if (!incident.baselineReview) throw new StepFailedError(`Incident ${incidentId} is not a baseline review`);
  return incident as IncidentRecord & { baselineReview: BaselineReview };
}

/**
 * The Data Science Lead kept the baseline: the model records it as reviewed now (its review
 * period starts again), and the incident keeps the decision and its comment. Running it again
 * after it succeeded changes nothing.
 */
export async function keepBaseline(
  incidentId: string,
  decision: { readonly comment: string; readonly decidedBy: string },
): Promise<{ baselineVersion: number; reviewedAt: string; recorded: boolean }> {
  const incident = await openReview(incidentId);
  const review = incident.baselineReview;
  if (review.outcome === 'kept' && review.decidedAt) {
    return { baselineVersion: review.baselineVersion, reviewedAt: review.decidedAt, recorded: true };
  }
  const at = new Date().toISOString();
  // False when another baseline is in use by now: its own fitting restarted the review period.
  const recorded = await markBaselineReviewed(incident.modelId, review.baselineVersion, at);
  await recordStep(incidentId, {
    step: 'baseline_kept',
    entered: true,
    left: { outcome: 'kept', by: decision.decidedBy },
    changes: {
      set: {
        baselineReview: {
          ...review,
          outcome: 'kept',
          comment: decision.comment,
          decidedBy: decision.decidedBy,
          decidedAt: at,
        } satisfies BaselineReview,
      },
    },
    details: { baselineVersion: review.baselineVersion, comment: decision.comment, reviewedAt: at, recorded },
  });
  metrics.addMetric('BaselinesKept', MetricUnit.Count, 1);
  return { baselineVersion: review.baselineVersion, reviewedAt: at, recorded };
}

/**
 * QA approved the new baseline: it becomes the one evaluations compare with (unless a newer one
 * was put in use meanwhile), and its fitting starts the next review period.
 */
export async function adoptBaseline(
  incidentId: string,
): Promise<{ baselineVersion: number; adopted: boolean }> {
  const incident = await openReview(incidentId);
  const review = incident.baselineReview;
  const fitted = review.newBaseline;
  if (!fitted) throw new StepFailedError(`Incident ${incidentId} has no new baseline to adopt`);
  if (review.outcome === 'replaced') return { baselineVersion: fitted.baselineVersion, adopted: true };
  const adopted = await useBaseline(incident.modelId, fitted.baselineVersion, fitted.createdAt);
  const at = new Date().toISOString();
  await recordStep(incidentId, {
    step: 'baseline_adopted',
    entered: true,
    left: { outcome: adopted ? `baseline ${fitted.baselineVersion} in use` : 'a newer baseline is in use' },
    changes: {
      set: { baselineReview: { ...review, outcome: 'replaced', adoptedAt: at } satisfies BaselineReview },
    },
    details: { baselineVersion: fitted.baselineVersion, adopted },
  });
  metrics.addMetric('BaselinesReplaced', MetricUnit.Count, 1);
  return { baselineVersion: fitted.baselineVersion, adopted };
}
