import { humanSteps } from '#commons/approvals/steps';

/**
 * The steps an authorized agent may never decide, whatever a model's `governance.agents` says:
 * the AI-IRB review, the Legal/Compliance sign-off and the sign-off of the post-implementation
 * review stay a person's decision.
 */
export const NEVER_DELEGATED: readonly string[] = ['irb', 'legal', 'pir_signoff'];

/** The human steps a model may delegate: every decision step but those never delegated. */
export function delegableSteps(): string[] {
  return Object.entries(humanSteps)
    .filter(([step, definition]) => definition.kind === 'decision' && !NEVER_DELEGATED.includes(step))
    .map(([step]) => step);
}

/** Why a step cannot be named in `governance.agents`, or undefined when it can. */
export function notDelegable(step: string): string | undefined {
  if (NEVER_DELEGATED.includes(step)) {
    return `"${step}" is always decided by a person (the AI-IRB review, the Legal sign-off and the PIR sign-off are never delegated)`;
  }
  if (!delegableSteps().includes(step)) {
    return `"${step}" is not a decision step an agent may decide; one of ${delegableSteps().join(', ')}`;
  }
  return undefined;
}
