import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { decodeBase64 } from './base64.ts';

/** The one low-level DynamoDB client of an execution environment (see {@link dynamoDb}). */
export const dynamoDbClient = new DynamoDBClient({ maxAttempts: 8, base64Decoder: decodeBase64 });

/**
 * The one DynamoDB document client of an execution environment. Locally the endpoint comes from AWS_ENDPOINT_URL_DYNAMODB (the SDK reads it itself), so
 * the handlers talk to dynalite without knowing it. Throttling is retried by the SDK's
 * standard retry strategy with more attempts than its default: an accepted request must not
 * be dropped because a partition ran hot.
 */
export const dynamoDb = DynamoDBDocumentClient.from(dynamoDbClient, {
  marshallOptions: { removeUndefinedValues: true },
});

/**
 * A low-level DynamoDB client for the hottest calls (the delta writes of every ingested batch),
 * sent with DynamoDB's own attribute values: its middleware stack is resolved once per command
 * type instead of at each call (`cacheMiddleware`, which the document client does not support).
 * Same retries as {@link dynamoDbClient}.
 */
export const hotDynamoDbClient = new DynamoDBClient({
  maxAttempts: 8,
  base64Decoder: decodeBase64,
  cacheMiddleware: true,
});

/** A record without its key attributes (table and gsi1 keys). */
export function withoutKeys<T extends Record<string, unknown>>(
  item: T,
): Omit<T, 'pk' | 'sk' | 'gsi1pk' | 'gsi1sk'> {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ...rest } = item;
  return rest;
}
