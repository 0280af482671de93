import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { StepFailedError } from '#commons/workflow/errors';

process.env.GOVERNANCE_TABLE ??= 'unit-governance';
process.env.TELEMETRY_TABLE ??= 'unit-telemetry';
const { handler } = await import('../../../functions/workflow-records.ts');

const context = {
  functionName: 'workflow-records',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:workflow-records',
  memoryLimitInMB: '512',
  awsRequestId: 'request-1',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

describe('the task of the steps that read and record alone', () => {
  it.each([
    { action: 'close', incidentId: 'inc_1', status: 'resolved' },
    { action: 'promote', incidentId: 'inc_1' },
    { action: 'fail', incidentId: 'inc_1', error: 'States.Timeout', cause: 'late' },
  ])(
    'refuses $action, a step that emails or publishes, as StepFailed without running it',
    async (payload) => {
      // Act
      const failure = await handler(payload, context).then(
        () => undefined,
        (error: unknown) => error,
      );

      // Assess
      expect(failure).toBeInstanceOf(StepFailedError);
      expect((failure as Error).message).toMatch(/^Invalid task payload: /);
      expect((failure as Error).message).toContain('"action"');
    },
  );
});
