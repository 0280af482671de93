/**
 * The state machines Vigil runs: the governance workflow (`statemachines/governance.asl.json`)
 * and the baseline review (`statemachines/baseline-review.asl.json`).
 */
export type WorkflowMachine = 'governance' | 'baselineReview';

/**
 * The port to the engine that runs the state machines: Step Functions in AWS,
 * aws-local-stepfunctions on a laptop.
 */
export interface WorkflowEngine {
  /**
   * Starts the execution called `name` of `machine` (the governance workflow when not given). A
   * name already used means it was started before: that is not an error, and the answer says so
   * with `started: false`.
   */
  startExecution(
    name: string,
    input: Record<string, unknown>,
    machine?: WorkflowMachine,
  ): Promise<{ executionArn: string; started: boolean }>;
  /** Resumes the task waiting on `taskToken` with `output`; TaskNotWaitingError when none waits. */
  sendTaskSuccess(taskToken: string, output: unknown): Promise<void>;
  /** Fails the task waiting on `taskToken`; TaskNotWaitingError when none waits. */
  sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void>;
}

/** The task of a token no longer waits: it timed out, or its execution ended. */
export class TaskNotWaitingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaskNotWaitingError';
  }
}
