/**
 * The incident API's two writes: a training pipeline's candidate (once per retraining cycle) and
 * an authorized agent's decision (once per step delegated to it). The incident function imports
 * this module with `await import()` on the first of them: its reads (lists, detail, audit,
 * approvals, records), most of its calls, start without the workflow engine, the step catalog,
 * the decision's pass-on and the version checks (docs/architecture.md, "Cold start"). One module
 * for both, so that they share one lazy chunk.
 */
export { submitAgentDecision } from '#commons/agents/decide';
export { agentDecisionInputSchema } from '#commons/agents/schema';
export { submitCandidate } from './candidate.ts';
