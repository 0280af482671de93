import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { handleQueueMessage } from '#commons/webhooks/deliver';
import type { QueueMessage } from '#commons/webhooks/queue';
import { webhookQueue } from '#commons/webhooks/queue';
import { logger } from '#powertools/logger';
import { observed } from '#powertools/middleware';
// Every delivery opens a webhook's secret (the signing key) and may queue a retry: their
// clients load at start.
import '#commons/approvals/secrets-client';
import '#commons/webhooks/sqs-client';

const allowLoopback = process.env.VIGIL_WEBHOOKS_ALLOW_LOOPBACK === 'true';

/**
 * The webhook queue's consumer (SQS event source, partial batch responses): fans published
 * events out to their webhooks and makes each delivery attempt. A message it could not handle
 * (DynamoDB or SQS unavailable, say) is reported in `batchItemFailures`: SQS makes it visible
 * again, and moves it to the dead-letter queue after its last receive. A receiver's failure is
 * not one of those: it is retried by sending the delivery back with a delay.
 */
export const handler = observed(async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const queue = webhookQueue();
  if (!queue)
    throw new Error(
      'No webhook queue: set WEBHOOK_QUEUE_URL (AWS) or configure one (the local runtime does)',
    );
  const context = {
    queue,
    allowLoopback,
    publicUrl: process.env.PUBLIC_URL ?? '',
  };
  const failures = await Promise.all(
    event.Records.map(async (record) => {
      try {
        await handleQueueMessage(JSON.parse(record.body) as QueueMessage, context);
        return undefined;
      } catch (error) {
        logger.error('webhook message not handled', {
          messageId: record.messageId,
          error: (error as Error).name,
          message: (error as Error).message,
        });
        return record.messageId;
      }
    }),
  );
  return {
    batchItemFailures: failures
      .filter((id): id is string => id !== undefined)
      .map((itemIdentifier) => ({ itemIdentifier })),
  };
});
