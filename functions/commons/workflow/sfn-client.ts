/**
 * What the Step Functions engine loads on its first call, not at a cold start: the client and
 * the commands and errors it uses. A chunk of its own in the bundle: most requests of a
 * function start no workflow and answer no task.
 */
import { SFNClient } from '@aws-sdk/client-sfn';

export {
  ExecutionAlreadyExists,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';

export function newSfnClient(): SFNClient {
  return new SFNClient({});
}
