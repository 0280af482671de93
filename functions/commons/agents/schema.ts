import * as z from 'zod';
import { notDelegable } from './steps.ts';

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
    .array(
      z
        .string()
        .max(64)
        .superRefine((step, ctx) => {
          const problem = notDelegable(step);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
    )
    .max(MAX_DELEGATED_STEPS)
    .default([])
    .transform((steps) => [...new Set(steps)]),
  agentOverruleMinutes: z.int().min(0).max(MAX_OVERRULE_MINUTES).default(15),
};

/** `POST /v1/incidents/{id}/decisions`: an authorized agent's decision of the step waiting for one. */
export const agentDecisionInputSchema = z.strictObject({
  step: z.string().min(1).max(64),
  decision: z.string().min(1).max(64),
  comment: z.string().trim().max(MAX_AGENT_COMMENT).default(''),
});

export type AgentDecisionInput = z.output<typeof agentDecisionInputSchema>;

/** A key's name, so that the audit trail can say which agent decided. */
export const keyNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/,
    'letters, digits, spaces, "_", "." and "-", at most 64, starting with a letter or digit',
  );
