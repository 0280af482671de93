import type { SFNClient } from '@aws-sdk/client-sfn';
import { TaskNotWaitingError, type WorkflowEngine, type WorkflowMachine } from './port.ts';

/**
 * The SDK's Step Functions client, loaded on first use rather than at every cold start: most
 * invocations of the functions that may start a workflow (ingestion, say) never do.
 */
const loadSdk = () => import('@aws-sdk/client-sfn');

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

  private async sdk() {
    const sdk = await loadSdk();
    this.client ??= new sdk.SFNClient({});
    return { sdk, client: this.client };
  }

  async startExecution(
    name: string,
    input: Record<string, unknown>,
    machine: WorkflowMachine = 'governance',
  ): Promise<{ executionArn: string; started: boolean }> {
    const stateMachineArn = this.stateMachineArns[machine];
    if (!stateMachineArn) throw new Error(`No state machine ARN for the ${machine} workflow`);
    const { sdk, client } = await this.sdk();
    try {
      const { executionArn } = await client.send(
        new sdk.StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
      );
      return { executionArn: executionArn ?? executionArnOf(stateMachineArn, name), started: true };
    } catch (error) {
      if (error instanceof sdk.ExecutionAlreadyExists)
        return { executionArn: executionArnOf(stateMachineArn, name), started: false };
      throw error;
    }
  }

  async sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    await this.respond((sdk, client) =>
      client.send(new sdk.SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })),
    );
  }

  async sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void> {
    await this.respond((sdk, client) =>
      client.send(new sdk.SendTaskFailureCommand({ taskToken, error, cause })),
    );
  }

  private async respond(
    call: (sdk: Awaited<ReturnType<typeof loadSdk>>, client: SFNClient) => Promise<unknown>,
  ): Promise<void> {
    const { sdk, client } = await this.sdk();
    try {
      await call(sdk, client);
    } catch (error) {
      if (
        error instanceof sdk.TaskTimedOut ||
        error instanceof sdk.TaskDoesNotExist ||
        error instanceof sdk.InvalidToken
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
