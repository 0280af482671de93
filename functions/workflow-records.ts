import { recordStepSchemas, runRecordStep } from '#commons/workflow/record-steps';
import { taskHandler } from '#commons/workflow/task-handler';
import * as z from '#commons/zod';

const stepSchema = z.discriminatedUnion('action', [...recordStepSchemas]);

/**
 * Task of the automated steps that read and record in the table alone (preparation,
 * re-validation, the check after stabilisation, the baseline review's decisions, the proof of a
 * revert): a function apart from the steps that email and publish events, so that a cold start
 * of these loads no SNS or SQS client. Each step is safe to run again, as Step Functions retries it.
 */
export const handler = taskHandler(stepSchema, runRecordStep);
