import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { humanSteps, isHumanStep } from '../../../functions/commons/approvals/steps.ts';
import {
  governanceDefinitionFile,
  governanceEventBusPlaceholder,
  governanceFunctions,
} from '../../../lib/workflow.ts';

interface State {
  Type: string;
  Resource?: string;
  Next?: string;
  Default?: string;
  End?: boolean;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  Parameters?: Record<string, unknown> & { FunctionName?: string; Payload?: Record<string, unknown> };
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Choices?: { Variable: string; StringEquals?: string; Next: string }[];
}

const text = readFileSync(governanceDefinitionFile, 'utf8');
const definition = JSON.parse(text) as { StartAt: string; States: Record<string, State> };
const states = Object.entries(definition.States);
const tasks = states.filter(([, s]) => s.Type === 'Task');
const waitingTasks = tasks.filter(
  ([, s]) => s.Resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken',
);
/** Waiting tasks that ask people (the approval request function); the others wait for Vigil itself. */
const humanTasks = waitingTasks.filter(
  ([, s]) => s.Parameters?.FunctionName === `\${ApprovalRequestFunctionArn}`,
);

/**
 * Rules of the governance definition that hold on every path, checked on the file itself: the
 * paths are run in test/integration/workflow.
 */
describe('governance definition', () => {
  it('uses only the placeholders the stack and the local engine substitute', () => {
    const placeholders = new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]));
    expect([...placeholders].sort()).toEqual(
      [...Object.keys(governanceFunctions), governanceEventBusPlaceholder].sort(),
    );
  });

  it.each(tasks)('gives task "%s" a timeout and a way to the failure path', (name, state) => {
    expect(state.TimeoutSeconds ?? state.TimeoutSecondsPath).toBeDefined();
    const catchAll = state.Catch?.find((c) => c.ErrorEquals.includes('States.ALL'));
    expect(catchAll?.Next).toBe(name === 'Record failure' ? 'Failed' : 'Record failure');
  });

  it.each(humanTasks)(
    'makes human step "%s" one of the catalog, timed by the model, reminded when unanswered',
    (name, state) => {
      const payload = state.Parameters?.Payload ?? {};
      const step = payload.step as string;
      expect(isHumanStep(step)).toBe(true);
      if (!isHumanStep(step)) return;
      expect(payload.kind).toBe(humanSteps[step].kind);
      expect(payload.options).toEqual(Object.keys(humanSteps[step].options));
      expect(state.TimeoutSecondsPath).toBe('$.config.approvalTimeoutSeconds');
      expect(payload['timeoutSeconds.$']).toBe(state.TimeoutSecondsPath);
      expect(payload['taskToken.$']).toBe('$$.Task.Token');
      expect(state.Catch?.[0]).toMatchObject({ ErrorEquals: ['States.Timeout'], Next: `${name}: no answer` });
      const unanswered = definition.States[`${name}: no answer`];
      expect(unanswered).toMatchObject({
        Type: 'Pass',
        Parameters: { state: name },
        Next: 'Remind or give up',
      });
      const back = definition.States['Back to the waiting step']?.Choices ?? [];
      expect(back).toContainEqual({ Variable: '$.answer.state', StringEquals: name, Next: name });
    },
  );

  it.each(waitingTasks.filter(([, s]) => !humanTasks.some(([, h]) => h === s)))(
    'times waiting step "%s" by the model and reminds when it stays unresolved',
    (name, state) => {
      const payload = state.Parameters?.Payload ?? {};
      // The revert step waits for an evaluation window to prove it (`revertTimeoutSeconds`).
      expect(state.TimeoutSecondsPath).toBe(
        name === 'Await revert' ? '$.config.revertTimeoutSeconds' : '$.config.approvalTimeoutSeconds',
      );
      expect(payload['timeoutSeconds.$']).toBe(state.TimeoutSecondsPath);
      expect(payload['taskToken.$']).toBe('$$.Task.Token');
      expect(payload['reminder.$']).toBe('$.answer.reminders');
      expect(state.Catch?.[0]).toMatchObject({ ErrorEquals: ['States.Timeout'], Next: `${name}: no answer` });
      const back = definition.States['Back to the waiting step']?.Choices ?? [];
      expect(back).toContainEqual({ Variable: '$.answer.state', StringEquals: name, Next: name });
    },
  );

  it('asks about an unapproved version first when the incident is of that kind, and investigates any other', () => {
    expect(definition.States.Prepare?.Next).toBe('Which kind of incident?');
    expect(definition.States['Which kind of incident?']).toMatchObject({
      Type: 'Choice',
      Choices: [
        { Variable: '$.kind', StringEquals: 'unapproved_version', Next: 'Review unapproved version' },
      ],
      Default: 'Investigate',
    });
  });

  it.each(humanTasks.filter(([, s]) => ((s.Parameters?.Payload?.options as string[]) ?? []).length > 1))(
    'routes every option of "%s", and nothing else',
    (_name, state) => {
      const choice = definition.States[state.Next as string];
      expect(choice?.Type).toBe('Choice');
      expect(choice?.Default).toBe('Unexpected decision');
      expect(choice?.Choices?.map((c) => c.Variable)).toEqual(
        choice?.Choices?.map(() => '$.answer.outcome.decision'),
      );
      const options = (state.Parameters?.Payload?.options ?? []) as string[];
      expect(choice?.Choices?.map((c) => c.StringEquals).sort()).toEqual([...options].sort());
    },
  );

  it('invokes only the task functions of the catalog', () => {
    const lambdaTasks = tasks.filter(([, s]) => s.Resource?.startsWith('arn:aws:states:::lambda:invoke'));
    const placeholders = new Set(Object.keys(governanceFunctions).map((p) => `\${${p}}`));
    for (const [name, state] of lambdaTasks) {
      expect(placeholders.has(state.Parameters?.FunctionName as string), name).toBe(true);
    }
  });
});
