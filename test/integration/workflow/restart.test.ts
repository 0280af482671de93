import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskNotWaitingError } from '../../../functions/commons/workflow/port.ts';
import { type LambdaHandler, LocalWorkflowEngine } from '../../../local/workflow.ts';
import { waitFor } from './harness.ts';

/** A `${Name}` placeholder of a definition, as the stack and the local engine substitute them. */
const placeholder = (name: string) => `\${${name}}`;

const definition = JSON.stringify({
  StartAt: 'Prepare',
  States: {
    Prepare: { Type: 'Pass', Result: { step: 'prepared' }, ResultPath: '$.prepared', Next: 'Approve' },
    Approve: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: placeholder('AskFn'), Payload: { 'taskToken.$': '$$.Task.Token' } },
      TimeoutSeconds: 600,
      ResultPath: '$.answer',
      End: true,
    },
  },
});

/**
 * A restart of `npm start` stops the local engine mid-execution: the next engine on the same
 * data dir runs each unfinished execution again from the state it was in.
 */
describe('local workflow engine across a restart', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'vigil-executions-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  function engine(asked: string[]) {
    const ask: LambdaHandler = async (event) => {
      asked.push((event as { taskToken: string }).taskToken);
      return {};
    };
    return new LocalWorkflowEngine({
      definition,
      functions: { AskFn: 'ask' },
      resolve: async () => ask,
      dir,
      print: () => {},
    });
  }

  it('resumes a waiting execution at its waiting state, asks again, and finishes it', async () => {
    // Prepare: an execution waits for an answer when the runtime stops.
    const before: string[] = [];
    const first = engine(before);
    await first.startExecution('inc_restart', { incidentId: 'inc_restart' });
    await waitFor(
      () => before[0],
      5000,
      () => 'no request',
    );
    await first.close();

    // Act
    const after: string[] = [];
    const second = engine(after);
    const resumed = await second.resume();
    const token = await waitFor(
      () => after[0],
      5000,
      () => 'no request after the restart',
    );
    const again = await second.startExecution('inc_restart', {});
    await expect(second.sendTaskSuccess(before[0] as string, {})).rejects.toBeInstanceOf(TaskNotWaitingError);
    await second.sendTaskSuccess(token, { decision: 'approve' });
    const execution = await second.settled('inc_restart');
    await second.close();

    // Assess
    expect(resumed).toEqual(['inc_restart']);
    expect(again.started).toBe(false);
    expect(token).not.toBe(before[0]);
    expect(execution).toMatchObject({
      status: 'SUCCEEDED',
      states: ['Prepare', 'Approve', 'Approve'],
      output: { incidentId: 'inc_restart', prepared: { step: 'prepared' }, answer: { decision: 'approve' } },
    });
    const kept = JSON.parse(await readFile(path.join(dir, 'inc_restart.json'), 'utf8'));
    expect(kept).toMatchObject({ status: 'SUCCEEDED', stoppedAt: expect.any(String) });
    expect(await engine([]).resume()).toEqual([]);
  });
});
