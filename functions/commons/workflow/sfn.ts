import type { SFNClient } from '@aws-sdk/client-sfn';
import { TaskNotWaitingError, type WorkflowEngine, type WorkflowMachine } from './port.ts';

type Sdk = typeof import('./sfn-client.ts');
let sdk: Promise<Sdk> | undefined;

/** The Step Functions client code, loaded on the first call (once per container), not at load. */
function loadSdk(): Promise<Sdk> {
  sdk ??= import('./sfn-client.ts');
  return sdk;
}

/**
 * Step Functions, for the state machines whose ARNs it is given: a string is the governance
 * workflow's alone. Task responses need no ARN: a task token names its execution.
 */
export class SfnWorkflowEngine implements WorkflowEngine {
  private client: SFNClient | undefined;
  private readonly stateMachineArns: Partial<Record<WorkflowMachine, string>>;

  constructor(stateMachineArns: string | Partial<Record<WorkflowMachine, string>>, client?: SFNClient) {
    this.stateMachineArns =
      typeof stateMachineArns === 'string' ? { governance: stateMachineArns } : stateMachineArns;
    this.client = client;
  }

  /** The SDK's commands and errors, and the client (built on first use unless one was given). */
  private async sdk(): Promise<Sdk & { client: SFNClient }> {
    const loaded = await loadSdk();
    this.client ??= loaded.newSfnClient();
    return { ...loaded, client: this.client };
  }

  async startExecution(
    name: string,
    input: Record<string, unknown>,
    machine: WorkflowMachine = 'governance',
  ): Promise<{ executionArn: string; started: boolean }> {
    const stateMachineArn = this.stateMachineArns[machine];
    if (!stateMachineArn) throw new Error(`No state machine ARN for the ${machine} workflow`);
    const { client, StartExecutionCommand, ExecutionAlreadyExists } = await this.sdk();
    try {
      const { executionArn } = await client.send(
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
    await this.respond(({ client, SendTaskSuccessCommand }) =>
      client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })),
    );
  }

  async sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void> {
    await this.respond(({ client, SendTaskFailureCommand }) =>
      client.send(new SendTaskFailureCommand({ taskToken, error, cause })),
    );
  }

  private async respond(call: (sdk: Sdk & { client: SFNClient }) => Promise<unknown>): Promise<void> {
    const sdk = await this.sdk();
    const { TaskTimedOut, TaskDoesNotExist, InvalidToken } = sdk;
    try {
      await call(sdk);
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
