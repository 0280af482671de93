import type { Context } from 'aws-lambda';
import { IncidentNotOpenError } from '#commons/incidents/store';
import * as z from '#commons/zod';
import { logger } from '#powertools/logger';
import { observed } from '#powertools/middleware';
import { readableError } from '#powertools/readable-error';
import { StepFailedError } from './errors.ts';

/**
 * A Step Functions task handler: the payload is validated against its schema, the step runs,
 * and a failure is logged and thrown back to the state machine under its error name (which the
 * definition's Retry and Catch match). A payload the schema refuses, or an incident that is no
 * longer open, is `StepFailed`: retrying cannot help. Wrapped in the standard Powertools stack (`observed`).
 */
export function taskHandler<S extends z.core.$ZodType, R>(
  schema: S,
  step: (payload: z.output<S>, context: Context) => Promise<R>,
) {
  const run = async (event: unknown, context: Context): Promise<R> => {
    const parsed = z.safeParse(schema, event);
    if (!parsed.success) {
      const error = new StepFailedError(`Invalid task payload: ${parsed.error.message}`);
      logger.error('invalid task payload', { error });
      throw error;
    }
    const incidentId = (parsed.data as { incidentId?: unknown }).incidentId;
    if (typeof incidentId === 'string') logger.appendKeys({ incidentId });
    try {
      return await step(parsed.data, context);
    } catch (error) {
      const thrown = error instanceof IncidentNotOpenError ? new StepFailedError(error.message) : error;
      logger.error('task failed', { error: (await readableError(thrown)) as Error });
      throw thrown;
    }
  };
  return observed(run);
}
