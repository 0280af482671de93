import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDbClient, hotDynamoDbClient } from './dynamodb-low-level.ts';

export { dynamoDbClient, hotDynamoDbClient };

/**
 * The one DynamoDB document client of an execution environment. Locally the endpoint comes from AWS_ENDPOINT_URL_DYNAMODB (the SDK reads it itself), so
 * the handlers talk to dynalite without knowing it. Throttling is retried by the SDK's
 * standard retry strategy with more attempts than its default: an accepted request must not
 * be dropped because a partition ran hot.
 */
export const dynamoDb = DynamoDBDocumentClient.from(dynamoDbClient, {
  marshallOptions: { removeUndefinedValues: true },
});

/** A record without its key attributes (table and gsi1 keys). */
export function withoutKeys<T extends Record<string, unknown>>(
  item: T,
): Omit<T, 'pk' | 'sk' | 'gsi1pk' | 'gsi1sk'> {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ...rest } = item;
  return rest;
}
