import type { Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { StepFailedError } from '#commons/workflow/errors';
import * as z from '#commons/zod';

process.env.GOVERNANCE_TABLE ??= 'unit-governance';
process.env.TELEMETRY_TABLE ??= 'unit-telemetry';
const { taskHandler } = await import('#commons/workflow/task-handler');

const context = {
  functionName: 'workflow-steps',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:workflow-steps',
  memoryLimitInMB: '256',
  awsRequestId: 'request-1',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

const schema = z.strictObject({
  incidentId: z.string().check(z.minLength(1)),
  reminder: z._default(z.int().check(z.minimum(0)), 0),
});

describe('a workflow task handler', () => {
  it('runs the step with the payload as its schema reads it', async () => {
    const step = vi.fn(async (payload: z.output<typeof schema>) => ({ seen: payload }));
    const handler = taskHandler(schema, step);

    const result = await handler({ incidentId: 'inc_1' }, context);

    expect(result).toEqual({ seen: { incidentId: 'inc_1', reminder: 0 } });
    expect(step).toHaveBeenCalledOnce();
  });

  it('fails a payload its schema refuses as StepFailed, naming each field, without running the step', async () => {
    const step = vi.fn(async () => ({}));
    const handler = taskHandler(schema, step);

    const failure = await handler({ incidentId: '', reminder: -1, extra: true }, context).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(StepFailedError);
    expect((failure as Error).name).toBe('StepFailed');
    const message = (failure as Error).message;
    expect(message.startsWith('Invalid task payload: ')).toBe(true);
    const issues = JSON.parse(message.slice('Invalid task payload: '.length)) as {
      path: string[];
      message: string;
    }[];
    expect(issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['incidentId', 'Too small: expected string to have >=1 characters'],
      ['reminder', 'Too small: expected number to be >=0'],
      ['', 'Unrecognized key: "extra"'],
    ]);
    expect(step).not.toHaveBeenCalled();
  });
});
