import type { WorkflowEngine } from './port.ts';
import { SfnWorkflowEngine } from './sfn.ts';

export { TaskNotWaitingError, type WorkflowEngine } from './port.ts';

const stateMachineArn = process.env.STATE_MACHINE_ARN;
let configured: WorkflowEngine | undefined;

/** Installs the engine to use; the local runtime registers its own before it serves. */
export function configureWorkflow(engine: WorkflowEngine): void {
  configured = engine;
}

/** The engine of this environment: Step Functions when STATE_MACHINE_ARN is set, else the configured one. */
export function workflow(): WorkflowEngine {
  // Built on first use, not at load: most requests of a function never start a workflow.
  if (!configured && stateMachineArn) configured = new SfnWorkflowEngine(stateMachineArn);
  if (!configured) {
    throw new Error(
      'No workflow engine: set STATE_MACHINE_ARN (AWS) or configure one (the local runtime does)',
    );
  }
  return configured;
}
