import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '#clients/dynamodb';
import { requireEnv } from '#commons/config';
import { isConditionFailure } from '../telemetry/writes.ts';
import { governanceKeys as keys } from './keys.ts';

const table = requireEnv('GOVERNANCE_TABLE');

/**
 * Makes a fitted baseline the model's baseline in use, unless a newer one is: evaluations compare
 * with it from now on. Answers whether it is now in use. A module of its own: the baseline
 * review's adoption step uses it without loading the fitting of baselines.
 */
export async function useBaseline(
  modelId: string,
  baselineVersion: number,
  createdAt: string,
): Promise<boolean> {
  try {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.model(modelId),
        UpdateExpression: 'SET baselineVersion = :v, baselineCreatedAt = :at',
        ConditionExpression: 'attribute_not_exists(baselineVersion) OR baselineVersion < :v',
        ExpressionAttributeValues: { ':v': baselineVersion, ':at': createdAt },
      }),
    );
    return true;
  } catch (error) {
    // A newer baseline fitted concurrently stays in use; this one is kept as history.
    if (!isConditionFailure(error)) throw error;
    return false;
  }
}
