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
import { TaskNotWaitingError, type WorkflowEngine, type WorkflowMachine } from './port.ts';

/**
 * Step Functions, for the state machines whose ARNs it is given: a string is the governance
 * workflow's alone. Task responses need no ARN: a task token names its execution.
 */
export class SfnWorkflowEngine implements WorkflowEngine {
  private readonly client: SFNClient;
  private readonly stateMachineArns: Partial<Record<WorkflowMachine, string>>;

  constructor(stateMachineArns: string | Partial<Record<WorkflowMachine, string>>, client?: SFNClient) {
    this.stateMachineArns =
      typeof stateMachineArns === 'string' ? { governance: stateMachineArns } : stateMachineArns;
    this.client = client ?? new SFNClient({});
  }

  async startExecution(
    name: string,
    input: Record<string, unknown>,
    machine: WorkflowMachine = 'governance',
  ): Promise<{ executionArn: string; started: boolean }> {
    const stateMachineArn = this.stateMachineArns[machine];
    if (!stateMachineArn) throw new Error(`No state machine ARN for the ${machine} workflow`);
    try {
      const { executionArn } = await this.client.send(
        new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
      );
      return { executionArn: executionArn ?? executionArnOf(stateMachineArn, name), started: true };
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists)
        return { executionArn: executionArnOf(stateMachineArn, name), started: false };
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

/** arn:aws:states:REGION:ACCOUNT:stateMachine:NAME -> arn:aws:states:REGION:ACCOUNT:execution:NAME:EXECUTION */
function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}
