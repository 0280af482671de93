import { listApprovals } from '../approvals/store.ts';
import { incidentSummary, modelLabel, signature } from '../incidents/messages.ts';
import type { IncidentRecord } from '../incidents/types.ts';
import type { ModelRecord } from '../registry/store.ts';

/** Why a new baseline is asked for: the Data Science Lead's decision, or QA's latest rejection. */
async function askedBecause(incident: IncidentRecord): Promise<string[]> {
  const decided = (await listApprovals(incident.incidentId)).filter(
    (approval) => approval.status === 'decided',
  );
  // QA's rejections come after the Data Science Lead's decision: the latest of them, if any.
  const latest =
    decided.filter((approval) => approval.step === 'baseline_qa' && approval.decision === 'reject').at(-1) ??
    decided.find((approval) => approval.step === 'baseline_review' && approval.decision === 'replace');
  if (!latest) return [];
  const who =
    latest.step === 'baseline_qa'
      ? 'QA rejected the last baseline'
      : 'The Data Science Lead decided to replace it';
  return [`${who} (${latest.decidedBy}, ${latest.decidedAt}):`, latest.comment || '(no comment)'];
}

/** The AI Dev Team's request for a new baseline: why, and how to put it. */
export async function newBaselineText(options: {
  readonly incident: IncidentRecord;
  readonly model: ModelRecord;
  readonly title: string;
  readonly sop: string;
  readonly ask: string;
  readonly reminder: readonly string[];
  readonly late: readonly string[];
  readonly publicUrl: string;
  readonly expiresAt: string;
}): Promise<string> {
  const { incident, model } = options;
  const review = incident.baselineReview;
  const because = await askedBecause(incident);
  return [
    'Hello,',
    '',
    ...options.late,
    ...options.reminder,
    `The baseline of ${modelLabel(model)} is to be replaced: ${options.title} (SOP ${options.sop}).`,
    options.ask,
    ...(because.length ? ['', ...because] : []),
    '',
    incidentSummary(incident, model),
    ...(review
      ? [
          '',
          `Baseline in use: version ${review.baselineVersion}, fitted ${review.fittedAt}${review.reviewedAt ? `, last reviewed ${review.reviewedAt}` : ''}.`,
        ]
      : []),
    '',
    'Fit it on reference data that represents production today, and put it with the admin key:',
    '',
    `  PUT ${options.publicUrl}/v1/models/${model.modelId}/baseline`,
    '  x-api-key: <admin key>',
    '  content-type: application/json',
    '',
    '  {"records": [{"features": {...}, "prediction": ...}, ...], "metrics": {"<metric>": <value>}}',
    '',
    'QA then approves it; evaluations keep comparing with the baseline in use until then.',
    `Please put it before ${options.expiresAt}.`,
    '',
    signature,
  ].join('\n');
}
