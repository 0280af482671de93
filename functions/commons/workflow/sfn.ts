import {
  ExecutionAlreadyExists,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { TaskNotWaitingError, type WorkflowEngine } from './port.ts';

/** Step Functions, for the one state machine whose ARN it is given. */
export class SfnWorkflowEngine implements WorkflowEngine {
  private readonly client: SFNClient;

  constructor(
    private readonly stateMachineArn: string,
    client?: SFNClient,
  ) {
    this.client = client ?? new SFNClient({});
  }

  async startExecution(
    name: string,
    input: Record<string, unknown>,
  ): Promise<{ executionArn: string; started: boolean }> {
    try {
      const { executionArn } = await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name,
          input: JSON.stringify(input),
        }),
      );
      return { executionArn: executionArn ?? this.executionArn(name), started: true };
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists)
        return { executionArn: this.executionArn(name), started: false };
      throw error;
    }
  }

  async sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    await this.respond(() =>
      this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })),
    );
  }

  async sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void> {
    await this.respond(() => this.client.send(new SendTaskFailureCommand({ taskToken, error, cause })));
  }

  /** arn:aws:states:REGION:ACCOUNT:stateMachine:NAME -> arn:aws:states:REGION:ACCOUNT:execution:NAME:EXECUTION */
  private executionArn(name: string): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }

  private async respond(call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (error) {
      if (
        error instanceof TaskTimedOut ||
        error instanceof TaskDoesNotExist ||
        error instanceof InvalidToken
      ) {
        throw new TaskNotWaitingError(error.message);
      }
      throw error;
    }
  }
}
