import {
  ExecutionAlreadyExists,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { TaskNotWaitingError } from '../../../functions/commons/workflow/port.ts';
import { SfnWorkflowEngine } from '../../../functions/commons/workflow/sfn.ts';

const sfn = mockClient(SFNClient);
const stateMachineArn = 'arn:aws:states:eu-west-1:123456789012:stateMachine:Governance';
const executionArn = 'arn:aws:states:eu-west-1:123456789012:execution:Governance:inc_1';

describe('Step Functions workflow engine', () => {
  beforeEach(() => {
    sfn.reset();
  });

  it('starts the execution named after the incident with its input', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn, startDate: new Date() });

    // Act
    const started = await new SfnWorkflowEngine(stateMachineArn, new SFNClient({})).startExecution('inc_1', {
      incidentId: 'inc_1',
    });

    // Assess
    expect(started).toEqual({ executionArn, started: true });
    expect(sfn).toReceiveCommandWith(StartExecutionCommand, {
      stateMachineArn,
      name: 'inc_1',
      input: JSON.stringify({ incidentId: 'inc_1' }),
    });
  });

  it('treats a name already used as started before', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));

    // Act
    const started = await new SfnWorkflowEngine(stateMachineArn, new SFNClient({})).startExecution(
      'inc_1',
      {},
    );

    // Assess
    expect(started).toEqual({ executionArn, started: false });
  });

  it('starts a baseline review on its own state machine, and refuses a machine it has no ARN for', async () => {
    // Prepare
    const reviewArn = 'arn:aws:states:eu-west-1:123456789012:stateMachine:BaselineReview';
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    const both = new SfnWorkflowEngine(
      { governance: stateMachineArn, baselineReview: reviewArn },
      new SFNClient({}),
    );
    const governanceOnly = new SfnWorkflowEngine(stateMachineArn, new SFNClient({}));

    // Act
    const started = await both.startExecution('inc_2', { incidentId: 'inc_2' }, 'baselineReview');
    const refused = governanceOnly.startExecution('inc_2', {}, 'baselineReview');

    // Assess
    expect(sfn).toReceiveCommandWith(StartExecutionCommand, { stateMachineArn: reviewArn, name: 'inc_2' });
    expect(started).toEqual({
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:BaselineReview:inc_2',
      started: false,
    });
    await expect(refused).rejects.toThrow('No state machine ARN for the baselineReview workflow');
  });

  it('resumes a waiting task with its output as JSON, and fails one with an error and cause', async () => {
    // Prepare
    sfn.on(SendTaskSuccessCommand).resolves({});
    sfn.on(SendTaskFailureCommand).resolves({});
    const engine = new SfnWorkflowEngine(stateMachineArn, new SFNClient({}));

    // Act
    await engine.sendTaskSuccess('token-1', { decision: 'approve' });
    await engine.sendTaskFailure('token-2', 'Vigil.Cancelled', 'withdrawn');

    // Assess
    expect(sfn).toReceiveCommandWith(SendTaskSuccessCommand, {
      taskToken: 'token-1',
      output: '{"decision":"approve"}',
    });
    expect(sfn).toReceiveCommandWith(SendTaskFailureCommand, {
      taskToken: 'token-2',
      error: 'Vigil.Cancelled',
      cause: 'withdrawn',
    });
  });

  it.each([
    ['timed out', new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} })],
    ['gone', new TaskDoesNotExist({ message: 'Task does not exist', $metadata: {} })],
  ])('answers TaskNotWaitingError for a task that %s', async (_case, error) => {
    // Prepare
    sfn.on(SendTaskSuccessCommand).rejects(error);

    // Act
    const sent = new SfnWorkflowEngine(stateMachineArn, new SFNClient({})).sendTaskSuccess('token', {});

    // Assess
    await expect(sent).rejects.toBeInstanceOf(TaskNotWaitingError);
  });

  it('passes other errors on', async () => {
    // Prepare
    sfn.on(SendTaskSuccessCommand).rejects(new Error('throttled'));

    // Act
    const sent = new SfnWorkflowEngine(stateMachineArn, new SFNClient({})).sendTaskSuccess('token', {});

    // Assess
    await expect(sent).rejects.toThrow('throttled');
  });
});
