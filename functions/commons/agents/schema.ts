import * as z from '#commons/zod';
import { delegableSteps, NEVER_DELEGATED, notDelegable } from './steps.ts';

/** The longest comment an agent may give, as on a person's form. */
export const MAX_AGENT_COMMENT = 4000;

/** Most steps a model may delegate (there are fewer decision steps than that). */
const MAX_DELEGATED_STEPS = 20;
/** The longest overrule window: one day. */
export const MAX_OVERRULE_MINUTES = 1440;

/**
 * The model's `governance` fields for authorized agents: which human steps an agent key of the
 * model may decide, and how long people of the step's role have to overrule its decision.
 */
export const agentGovernanceFields = {
  agents: z
    .pipe(
      z._default(
        z
          .array(
            z.string().check(
              z.maxLength(64),
              z.superRefine((step, ctx) => {
                const problem = notDelegable(step);
                if (problem) ctx.addIssue({ code: 'custom', message: problem });
              }),
            ),
          )
          .check(z.maxLength(MAX_DELEGATED_STEPS)),
        [],
      ),
      z.transform((steps: string[]) => [...new Set(steps)]),
    )
    .check(
      z.describe(
        `Human steps an authorized agent (a key with the agent scope) may decide: any of ${delegableSteps().join(', ')}; never ${NEVER_DELEGATED.join(', ')}`,
      ),
    ),
  agentOverruleMinutes: z
    ._default(z.int().check(z.gte(0), z.lte(MAX_OVERRULE_MINUTES)), 15)
    .check(
      z.describe(
        "Minutes an agent's decision waits before it takes effect, while the step's role may overrule it; 0 applies it at once",
      ),
    ),
};

/** `POST /v1/incidents/{id}/decisions`: an authorized agent's decision of the step waiting for one. */
export const agentDecisionInputSchema = z.strictObject({
  step: z
    .string()
    .check(
      z.minLength(1),
      z.maxLength(64),
      z.describe("The step waiting for a decision, one the model's governance.agents names"),
    ),
  decision: z.string().check(z.minLength(1), z.maxLength(64), z.describe("One of the step's options")),
  comment: z
    ._default(z.string().check(z.trim(), z.maxLength(MAX_AGENT_COMMENT)), '')
    .check(z.describe('Why; required where the option needs one')),
});

export type AgentDecisionInput = z.output<typeof agentDecisionInputSchema>;

/** A key's name (its own module, which the registry's key route loads alone). */
export { keyNameSchema } from './key-name.ts';
