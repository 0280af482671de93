import { adoptBaseline, keepBaseline } from '#commons/baseline-review/steps';
import { recordRevert } from '#commons/incidents/revert';
import { checkNewVersion, prepare, revalidate } from '#commons/incidents/steps';
import * as z from '#commons/zod';

const incidentId = z.string().check(z.minLength(1));

/**
 * The automated steps of the governance workflow and of the baseline review that read and
 * record in the table alone: no email, no event. Their task function (`workflow-records.ts`)
 * loads no SNS or SQS client at a cold start; the steps function accepts them too, for
 * executions whose definition sends them there.
 */
export const recordStepSchemas = [
  z.object({ action: z.literal('prepare'), incidentId }),
  z.object({ action: z.literal('revalidate'), incidentId }),
  z.object({ action: z.literal('check-new-version'), incidentId }),
  z.object({ action: z.literal('keep-baseline'), incidentId, comment: z.string(), decidedBy: z.string() }),
  z.object({ action: z.literal('adopt-baseline'), incidentId }),
  z.object({
    action: z.literal('record-revert'),
    incidentId,
    evaluationId: z.string().check(z.minLength(1)),
    productionVersion: z.string().check(z.minLength(1)),
  }),
] as const;

/** One of the steps that read and record alone, as its payload. */
export type RecordStep = z.output<(typeof recordStepSchemas)[number]>;

/** Runs a step that reads and records alone; see {@link recordStepSchemas}. */
export async function runRecordStep(step: RecordStep) {
  switch (step.action) {
    case 'prepare':
      return prepare(step.incidentId);
    case 'revalidate':
      return revalidate(step.incidentId);
    case 'check-new-version':
      return checkNewVersion(step.incidentId);
    case 'keep-baseline':
      return keepBaseline(step.incidentId, { comment: step.comment, decidedBy: step.decidedBy });
    case 'adopt-baseline':
      return adoptBaseline(step.incidentId);
    case 'record-revert':
      return recordRevert(step.incidentId, {
        evaluationId: step.evaluationId,
        productionVersion: step.productionVersion,
      });
  }
}
