import { afterEach, describe, expect, it } from 'vitest';
import { TaskNotWaitingError } from '../../../functions/commons/workflow/port.ts';
import { type LambdaHandler, LocalWorkflowEngine } from '../../../local/workflow.ts';

/** A `${Name}` placeholder of a definition, as the stack and the local engine substitute them. */
const placeholder = (name: string) => `\${${name}}`;

/** A definition with one human step (timed by its input), one Lambda task, and the events integration. */
const definition = JSON.stringify({
  StartAt: 'Ask',
  States: {
    Ask: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: placeholder('AskFn'),
        Payload: {
          'question.$': '$.question',
          'timeoutSeconds.$': '$.timeout',
          'taskToken.$': '$$.Task.Token',
        },
      },
      TimeoutSecondsPath: '$.timeout',
      ResultPath: '$.answer',
      Catch: [
        { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'Unanswered' },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' },
      ],
      Next: 'Work',
    },
    Work: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: placeholder('WorkFn'), 'Payload.$': '$.answer' },
      TimeoutSeconds: 10,
      ResultSelector: { 'result.$': '$.Payload' },
      ResultPath: '$.work',
      Catch: [{ ErrorEquals: ['Refused'], ResultPath: '$.error', Next: 'Failed' }],
      Next: 'Announce',
    },
    Announce: {
      Type: 'Task',
      Resource: 'arn:aws:states:::events:putEvents',
      Parameters: {
        Entries: [
          { EventBusName: placeholder('Bus'), Source: 'test', DetailType: 'Done', 'Detail.$': '$.work' },
        ],
      },
      TimeoutSeconds: 10,
      ResultPath: null,
      End: true,
    },
    Unanswered: { Type: 'Fail', Error: 'Unanswered' },
    Failed: { Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' },
  },
});

interface Asked {
  question: string;
  timeoutSeconds: number;
  taskToken: string;
}

function engineWith(work: LambdaHandler = async (answer) => ({ echoed: answer })) {
  const asked: Asked[] = [];
  const ask: LambdaHandler = async (event) => {
    asked.push(event as Asked);
    return { sent: true };
  };
  const engine = new LocalWorkflowEngine({
    definition,
    functions: { AskFn: 'ask', WorkFn: 'work' },
    values: { Bus: 'local-bus' },
    resolve: async (name) => (name === 'ask' ? ask : work),
    print: () => {},
  });
  return { engine, asked };
}

async function until<T>(probe: () => T | undefined): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('timed out waiting');
}

describe('local workflow engine', () => {
  const engines: LocalWorkflowEngine[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
  });

  it('gives each waiting task its own token and resumes it with the output sent for that token', async () => {
    // Prepare
    const { engine, asked } = engineWith();
    engines.push(engine);

    // Act
    const started = await engine.startExecution('run-1', { question: 'ship it?', timeout: 60 });
    const request = await until(() => asked[0]);
    await engine.sendTaskSuccess(request.taskToken, { decision: 'yes' });
    const execution = await engine.settled('run-1');

    // Assess
    expect(started).toEqual({
      executionArn: 'arn:aws:states:local:000000000000:execution:vigil-governance:run-1',
      started: true,
    });
    expect(request).toMatchObject({ question: 'ship it?', timeoutSeconds: 60 });
    expect(request.taskToken).toMatch(/^local-[0-9a-f-]{36}$/);
    expect(execution).toMatchObject({
      status: 'SUCCEEDED',
      states: ['Ask', 'Work', 'Announce'],
      output: {
        question: 'ship it?',
        timeout: 60,
        answer: { decision: 'yes' },
        work: { result: { echoed: { decision: 'yes' } } },
      },
    });
    expect(engine.events).toEqual([
      {
        source: 'test',
        detailType: 'Done',
        detail: { result: { echoed: { decision: 'yes' } } },
        eventBusName: 'local-bus',
        time: expect.any(String),
      },
    ]);
    await expect(engine.sendTaskSuccess(request.taskToken, {})).rejects.toBeInstanceOf(TaskNotWaitingError);
    expect(await engine.startExecution('run-1', {})).toMatchObject({ started: false });
  });

  it('fails a task nobody answers with States.Timeout after its timeout, and forgets its token', async () => {
    // Prepare
    const { engine, asked } = engineWith();
    engines.push(engine);

    // Act
    await engine.startExecution('run-2', { question: 'anyone?', timeout: 1 });
    const execution = await engine.settled('run-2');

    // Assess
    expect(execution).toMatchObject({ status: 'FAILED', error: 'Unanswered', states: ['Ask', 'Unanswered'] });
    await expect(engine.sendTaskSuccess(asked[0]?.taskToken as string, {})).rejects.toBeInstanceOf(
      TaskNotWaitingError,
    );
  });

  it('times out a task whose request takes longer than its timeout, leaving no rejection unhandled', async () => {
    // Prepare: the request function returns only after the task's timeout fired.
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    let engine: LocalWorkflowEngine | undefined;
    const slowAsk: LambdaHandler = async (event) => {
      const { taskToken } = event as Asked;
      await until(() => (engine?.isWaiting(taskToken) ? undefined : true));
      return { sent: true };
    };
    engine = new LocalWorkflowEngine({
      definition,
      functions: { AskFn: 'ask', WorkFn: 'work' },
      values: { Bus: 'local-bus' },
      resolve: async () => slowAsk,
      print: () => {},
    });
    engines.push(engine);

    // Act
    await engine.startExecution('run-slow', { question: 'slow?', timeout: 1 });
    const execution = await engine.settled('run-slow');
    await new Promise((resolve) => setImmediate(resolve));
    process.off('unhandledRejection', record);

    // Assess
    expect(execution).toMatchObject({ status: 'FAILED', error: 'Unanswered', states: ['Ask', 'Unanswered'] });
    expect(unhandled).toEqual([]);
  });

  it('fails a waiting task with the error sent for its token', async () => {
    // Prepare
    const { engine, asked } = engineWith();
    engines.push(engine);

    // Act
    await engine.startExecution('run-3', { question: 'ok?', timeout: 60 });
    const request = await until(() => asked[0]);
    await engine.sendTaskFailure(request.taskToken, 'Cancelled', 'the incident was closed');
    const execution = await engine.settled('run-3');

    // Assess
    expect(execution).toMatchObject({
      status: 'FAILED',
      error: 'Cancelled',
      cause: 'the incident was closed',
    });
  });

  it('names a function error as Lambda does, so Catch matches it by name', async () => {
    // Prepare
    const refuse: LambdaHandler = async () => {
      const error = new Error('production moved');
      error.name = 'Refused';
      throw error;
    };
    const { engine, asked } = engineWith(refuse);
    engines.push(engine);

    // Act
    await engine.startExecution('run-4', { question: 'go?', timeout: 60 });
    await engine.sendTaskSuccess((await until(() => asked[0])).taskToken, { decision: 'go' });
    const execution = await engine.settled('run-4');

    // Assess
    expect(execution).toMatchObject({
      status: 'FAILED',
      error: 'Refused',
      cause: JSON.stringify({ errorType: 'Refused', errorMessage: 'production moved' }),
      states: ['Ask', 'Work', 'Failed'],
    });
  });

  it.each([
    [
      'a task without a timeout',
      {
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: placeholder('WorkFn') },
            End: true,
          },
        },
      },
      'has no TimeoutSeconds',
    ],
    [
      'a waiting task whose timeout is not in its payload',
      {
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
            Parameters: { FunctionName: placeholder('WorkFn'), Payload: { 'taskToken.$': '$$.Task.Token' } },
            TimeoutSecondsPath: '$.timeout',
            End: true,
          },
        },
      },
      'pass $.timeout in the Payload too',
    ],
    [
      'a resource it cannot run',
      {
        StartAt: 'T',
        States: {
          T: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', TimeoutSeconds: 5, End: true },
        },
      },
      'cannot run arn:aws:states:::sqs:sendMessage',
    ],
  ])('refuses %s', (_case, body, message) => {
    expect(
      () =>
        new LocalWorkflowEngine({
          definition: JSON.stringify(body),
          functions: { WorkFn: 'work' },
          resolve: async () => async () => ({}),
        }),
    ).toThrow(message);
  });
});
