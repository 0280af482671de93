import type { WorkflowEngine, WorkflowMachine } from './port.ts';
import { SfnWorkflowEngine } from './sfn.ts';

export { TaskNotWaitingError, type WorkflowEngine, type WorkflowMachine } from './port.ts';

const stateMachineArn = process.env.STATE_MACHINE_ARN;
const baselineReviewStateMachineArn = process.env.BASELINE_REVIEW_STATE_MACHINE_ARN;
let configured: WorkflowEngine | undefined;

/** Installs the engine to use; the local runtime registers its own before it serves. */
export function configureWorkflow(engine: WorkflowEngine): void {
  configured = engine;
}

/**
 * The engine of this environment: Step Functions when STATE_MACHINE_ARN (the governance
 * workflow) or BASELINE_REVIEW_STATE_MACHINE_ARN (the baseline review) is set, else the
 * configured one.
 */
export function workflow(): WorkflowEngine {
  // Built on first use, not at load: most requests of a function never start a workflow.
  if (!configured && (stateMachineArn || baselineReviewStateMachineArn)) {
    configured = new SfnWorkflowEngine({
      ...(stateMachineArn ? { governance: stateMachineArn } : {}),
      ...(baselineReviewStateMachineArn ? { baselineReview: baselineReviewStateMachineArn } : {}),
    });
  }
  if (!configured) {
    throw new Error(
      'No workflow engine: set STATE_MACHINE_ARN or BASELINE_REVIEW_STATE_MACHINE_ARN (AWS) or configure one (the local runtime does)',
    );
  }
  return configured;
}

/** The state machine that walks an incident of `kind`: the baseline review has its own. */
export function machineFor(kind: string | undefined): WorkflowMachine {
  return kind === 'baseline_review' ? 'baselineReview' : 'governance';
}
