/**
 * What the webhook queue loads on its first send, not at a cold start: the SQS client and its
 * two commands. A chunk of its own in the bundle: most requests publish no event.
 */
import { SQSClient } from '@aws-sdk/client-sqs';

export { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';

/** Short timeouts: a publisher's own request must not wait long on the queue. */
export function newSqsClient(): SQSClient {
  return new SQSClient({ maxAttempts: 3, requestHandler: { connectionTimeout: 1000, requestTimeout: 3000 } });
}
