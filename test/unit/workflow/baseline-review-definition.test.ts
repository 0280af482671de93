import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { humanSteps, isHumanStep } from '../../../functions/commons/approvals/steps.ts';
import { baselineReviewDefinitionFile, baselineReviewFunctions } from '../../../lib/workflow.ts';

interface State {
  Type: string;
  Resource?: string;
  Next?: string;
  Default?: string;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  Parameters?: Record<string, unknown> & { FunctionName?: string; Payload?: Record<string, unknown> };
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Choices?: { Variable: string; StringEquals?: string; Next: string }[];
}

const text = readFileSync(baselineReviewDefinitionFile, 'utf8');
const definition = JSON.parse(text) as { StartAt: string; States: Record<string, State> };
const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');
const humanTasks = tasks.filter(([, s]) => s.Resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken');

/** Rules of the baseline review definition on every path, checked on the file itself. */
describe('baseline review definition', () => {
  it('uses only the placeholders the stack and the local engine substitute', () => {
    const placeholders = new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]));
    expect([...placeholders].sort()).toEqual(Object.keys(baselineReviewFunctions).sort());
  });

  it.each(tasks)('gives task "%s" a timeout and a way to the failure path', (name, state) => {
    expect(state.TimeoutSeconds ?? state.TimeoutSecondsPath).toBeDefined();
    const catchAll = state.Catch?.find((c) => c.ErrorEquals.includes('States.ALL'));
    expect(catchAll?.Next).toBe(name === 'Record failure' ? 'Failed' : 'Record failure');
  });

  it('asks the Data Science Lead, the AI Dev Team (for the baseline) and QA, in that order of need', () => {
    expect(humanTasks.map(([, s]) => [s.Parameters?.Payload?.step, s.Parameters?.Payload?.roles])).toEqual([
      ['baseline_review', ['dataScienceLead']],
      ['new_baseline', ['devTeam']],
      ['baseline_qa', ['qa']],
    ]);
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
      expect(definition.States[`${name}: no answer`]).toMatchObject({
        Type: 'Pass',
        Parameters: { state: name },
        Next: 'Remind or give up',
      });
      const back = definition.States['Back to the waiting step']?.Choices ?? [];
      expect(back).toContainEqual({ Variable: '$.answer.state', StringEquals: name, Next: name });
    },
  );

  it.each(humanTasks.filter(([, s]) => ((s.Parameters?.Payload?.options as string[]) ?? []).length > 1))(
    'routes every option of "%s", and nothing else',
    (_name, state) => {
      const choice = definition.States[state.Next as string];
      expect(choice?.Type).toBe('Choice');
      expect(choice?.Default).toBe('Unexpected decision');
      const options = (state.Parameters?.Payload?.options ?? []) as string[];
      expect(choice?.Choices?.map((c) => c.StringEquals).sort()).toEqual([...options].sort());
    },
  );

  it('sends a QA rejection back to the AI Dev Team, and signs the evidence after every close', () => {
    const qa = definition.States['QA approved baseline?']?.Choices ?? [];
    expect(qa.find((c) => c.StringEquals === 'reject')?.Next).toBe('Request new baseline');
    for (const close of ['Close as reviewed', 'Close as replaced']) {
      expect(definition.States[close]?.Next, close).toBe('Sign evidence');
    }
  });
});
