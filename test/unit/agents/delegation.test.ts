import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import * as z from '#commons/zod';
import { agentDecisionInputSchema, agentGovernanceFields } from '../../../functions/commons/agents/schema.ts';
import { delegableSteps, NEVER_DELEGATED, notDelegable } from '../../../functions/commons/agents/steps.ts';
import { principalOf, requireModelAccess } from '../../../functions/commons/api/principal.ts';
import { humanSteps } from '../../../functions/commons/approvals/steps.ts';

const governance = z.strictObject(agentGovernanceFields);

/** Which human steps a model may hand to an authorized agent, and which never. */
describe('delegation to authorized agents', () => {
  it('offers every decision step but the AI-IRB review, the Legal sign-off and the PIR sign-off', () => {
    const delegable = delegableSteps();
    expect(delegable).toEqual(
      expect.arrayContaining(['investigate', 'continue_or_abandon', 'qa', 'operations']),
    );
    for (const step of delegable)
      expect(humanSteps[step as keyof typeof humanSteps].kind, step).toBe('decision');
    // The review form and the candidate are not decisions an agent posts.
    for (const step of [...NEVER_DELEGATED, 'pir', 'retraining']) expect(delegable).not.toContain(step);
    // The steps never delegated are steps of the catalog: a rename cannot make them delegable.
    expect(NEVER_DELEGATED.every((step) => Object.hasOwn(humanSteps, step))).toBe(true);
  });

  it('explains why a step cannot be delegated', () => {
    expect(notDelegable('qa')).toBeUndefined();
    expect(notDelegable('legal')).toMatch(/always decided by a person/);
    expect(notDelegable('pir')).toMatch(/not a decision step/);
    expect(notDelegable('__proto__')).toMatch(/not a decision step/);
  });

  it('defaults to no agents and a 15-minute overrule window, and names the refused entry', () => {
    expect(governance.parse({})).toEqual({ agents: [], agentOverruleMinutes: 15 });
    expect(governance.parse({ agents: ['qa', 'qa'], agentOverruleMinutes: 0 })).toEqual({
      agents: ['qa'],
      agentOverruleMinutes: 0,
    });
    const refused = governance.safeParse({
      agents: ['investigate', 'pir_signoff'],
      agentOverruleMinutes: -1,
    });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues.map((issue) => issue.path)).toEqual([
      ['agents', 1],
      ['agentOverruleMinutes'],
    ]);
    expect(governance.safeParse({ agents: Array(21).fill('qa') }).success).toBe(false);
  });

  it('bounds an agent decision: step, decision and a comment of at most 4000 characters', () => {
    expect(agentDecisionInputSchema.parse({ step: 'qa', decision: 'approve' })).toEqual({
      step: 'qa',
      decision: 'approve',
      comment: '',
    });
    expect(
      agentDecisionInputSchema.safeParse({ step: 'qa', decision: 'approve', comment: 'x'.repeat(4001) })
        .success,
    ).toBe(false);
  });

  it('lets a key of the model decide only with the agent scope', () => {
    const key = (scopes: string) =>
      principalOf({
        requestContext: { authorizer: { principal: 'model', modelId: 'm', keyId: 'k', scopes } },
      } as unknown as APIGatewayProxyEvent);
    expect(key('agent')).toMatchObject({ kind: 'model', scopes: ['agent'] });
    expect(() => requireModelAccess(key('agent'), 'm', 'agent')).not.toThrow();
    expect(() => requireModelAccess(key('ingest candidate'), 'm', 'agent')).toThrow(
      'This key does not have the agent scope',
    );
    expect(() => requireModelAccess(key('agent'), 'other', 'agent')).toThrow(
      'This key is not a key of model other',
    );
  });
});
