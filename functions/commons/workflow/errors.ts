/**
 * A workflow step that cannot succeed by trying again (its incident is gone or closed, production
 * moved on, the definition asked for something unknown). The state machine retries every other
 * task error, but not this one: it goes straight to the failure path.
 */
export class StepFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepFailed';
  }
}
