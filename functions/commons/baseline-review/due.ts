import type { ModelRecord } from '../registry/store.ts';

/** Days between two reviews of a baseline when the model does not say (SOP Appendix A: quarterly). */
export const DEFAULT_BASELINE_REVIEW_DAYS = 90;

const DAY_MS = 86_400_000;

/** The model's review period in days. */
export function baselineReviewDays(model: Pick<ModelRecord, 'governance'>): number {
  return model.governance?.baselineReviewDays ?? DEFAULT_BASELINE_REVIEW_DAYS;
}

/**
 * When the baseline in use falls due for review: `baselineReviewDays` after it was fitted or
 * last reviewed, whichever is later. Undefined for a model without a baseline.
 */
export function baselineReviewDueAt(
  model: Pick<ModelRecord, 'governance' | 'baselineCreatedAt' | 'baselineReviewedAt'>,
): Date | undefined {
  if (!model.baselineCreatedAt) return undefined;
  const since = Math.max(
    Date.parse(model.baselineCreatedAt),
    model.baselineReviewedAt ? Date.parse(model.baselineReviewedAt) : 0,
  );
  return new Date(since + baselineReviewDays(model) * DAY_MS);
}

/** Whether the baseline in use is due for review at `now`. */
export function isBaselineReviewDue(
  model: Pick<ModelRecord, 'governance' | 'baselineCreatedAt' | 'baselineReviewedAt'>,
  now: Date,
): boolean {
  const due = baselineReviewDueAt(model);
  return due !== undefined && now.getTime() >= due.getTime();
}
