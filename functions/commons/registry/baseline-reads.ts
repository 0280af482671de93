import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '#clients/dynamodb';
import { requireEnv } from '#commons/config';
import type { ReferenceProfile } from '#drift/profile';
import type { Calibration } from '../cbpe/calibration.ts';
import type { BaselineRecord, ReferenceProfiles } from './baselines.ts';
import { governanceKeys as keys } from './keys.ts';

/**
 * Reading a baseline and its reference profiles, apart from fitting one (`baselines.ts`, which
 * re-exports these): what reads them (the evaluations, ingestion, the reports) loads none of the
 * record checks and their schemas.
 */

const table = requireEnv('GOVERNANCE_TABLE');

export async function getBaseline(
  modelId: string,
  baselineVersion: number,
): Promise<BaselineRecord | undefined> {
  const { Item } = await dynamoDb.send(
    new GetCommand({ TableName: table, Key: keys.baseline(modelId, baselineVersion) }),
  );
  if (!Item) return undefined;
  const { pk: _pk, sk: _sk, calibration, ...baseline } = Item;
  return {
    ...(baseline as BaselineRecord),
    ...(typeof calibration === 'string' ? { calibration: JSON.parse(calibration) as Calibration } : {}),
  };
}

const profileCache = new Map<string, Promise<ReferenceProfiles>>();

/**
 * The reference profiles of a baseline. Baselines never change, so they are cached for the life
 * of the execution environment: ingestion reads them once, not per batch.
 */
export function referenceProfiles(modelId: string, baselineVersion: number): Promise<ReferenceProfiles> {
  const cacheKey = `${modelId}#${baselineVersion}`;
  let cached = profileCache.get(cacheKey);
  if (!cached) {
    cached = loadProfiles(modelId, baselineVersion);
    cached.catch(() => profileCache.delete(cacheKey));
    profileCache.set(cacheKey, cached);
  }
  return cached;
}

async function loadProfiles(modelId: string, baselineVersion: number): Promise<ReferenceProfiles> {
  const profiles = new Map<string, ReferenceProfile>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamoDb.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.baselineFeaturesPartition(modelId, baselineVersion) },
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    for (const item of page.Items ?? []) {
      // The partition also holds the baseline's segment indexes (segments/baseline.ts).
      if (typeof item.profile === 'string') profiles.set(item.column as string, JSON.parse(item.profile));
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return profiles;
}
