import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { decodeBase64 } from './base64.ts';

/**
 * The one low-level DynamoDB client of an execution environment, which the document client
 * (`#clients/dynamodb`) wraps. A module of its own so that a function that reads attribute
 * values itself (the authorizer) loads no document client. Throttling is retried by the SDK's
 * standard retry strategy with more attempts than its default: an accepted request must not
 * be dropped because a partition ran hot.
 */
export const dynamoDbClient = new DynamoDBClient({ maxAttempts: 8, base64Decoder: decodeBase64 });

/**
 * A low-level DynamoDB client for the hottest calls (the model read and the delta writes of
 * every ingested batch), sent with DynamoDB's own attribute values: its middleware stack is resolved once per command
 * type instead of at each call (`cacheMiddleware`, which the document client does not support).
 * Same retries as {@link dynamoDbClient}.
 */
export const hotDynamoDbClient = new DynamoDBClient({
  maxAttempts: 8,
  base64Decoder: decodeBase64,
  cacheMiddleware: true,
});
