/**
 * The rare paths of the evaluation functions (the scheduled run and its agents' tick, the
 * evaluation asked for now, and its refusal of a malformed model id), which they load on first use (`first-use.ts`) in an execution
 * environment rather than at a cold start: most runs open, announce and decide nothing.
 *
 * One module for all of them, not one per path: esbuild gives each set of entry points (the
 * function's and every `await import()`) that share code a chunk of its own, so code the start
 * shares with several lazy modules splits the start into many small chunks, each a file and a
 * source map to read (the scheduled evaluation: 11 chunks at start with one lazy module, 19 with
 * six). A first use loads them all; the call that needs one pays for the others too.
 */

export { announceDecision } from '../agents/announce.ts';
export { applyAgentDecision } from '../agents/decide.ts';
// Evaluating now: the schema's refusal of a malformed model id (`model-path.ts`).
export { parseModelPath } from '../api/model-path-schema.ts';
export { openDueBaselineReview } from '../baseline-review/open.ts';
export { settleRevertAfter } from '../incidents/revert.ts';
export { startUnapprovedWorkflow } from '../incidents/unapproved.ts';
export { ensureWorkflowStarted, openBreachIncident } from './breach-incident.ts';
