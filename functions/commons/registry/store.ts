import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb, withoutKeys as strip } from '#clients/dynamodb';
import { queryItems } from '#clients/query';
import { DEFAULT_KEY_SCOPES, type KeyScope } from '#commons/api/principal';
import { requireEnv } from '#commons/config';
import { HttpError } from '#commons/http';
import { findActiveKey, hashKey, newModelKey, storedScopes } from './key-lookup.ts';
import { governanceKeys as keys } from './keys.ts';
import type { ModelInput, VersionInput } from './schema.ts';

/** The key lookup lives with the authorizer's small module; the registry uses it too. */
export { findActiveKey, hashKey };

const table = requireEnv('GOVERNANCE_TABLE');

/** A registered model: its configuration plus what Vigil tracks about it. */
export interface ModelRecord extends ModelInput {
  readonly modelId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Semantic version serving in production. */
  readonly productionVersion?: string;
  /** The version production had before the last promotion, kept for rollback. */
  readonly previousVersion?: string;
  /**
   * When production last changed from one version to another (a promotion or a rollback):
   * evaluations read no data from before it, so a window never mixes two versions.
   */
  readonly productionSince?: string;
  /** Baseline in use (1, 2, ...) and when it was fitted. */
  readonly baselineVersion?: number;
  readonly baselineCreatedAt?: string;
  /** When the Data Science Lead last kept the baseline in use (its quarterly review). */
  readonly baselineReviewedAt?: string;
}

export interface VersionRecord extends VersionInput {
  readonly modelId: string;
  readonly createdAt: string;
}

const MODEL_FIELDS = [
  'name',
  'owner',
  'task',
  'positiveClass',
  'features',
  'schedule',
  'thresholds',
  'approvers',
  'governance',
  'groundTruth',
  'writeShards',
  'expectedLoad',
  'reference',
  'segments',
] as const satisfies readonly (keyof ModelInput)[];

/**
 * Registers or updates a model in one atomic update; what Vigil tracks (versions, baseline,
 * creation time) is kept. Fields left out of an update (groundTruth) are removed. Returns the
 * model before the update too, when there was one.
 */
export async function putModel(
  modelId: string,
  input: ModelInput,
): Promise<{ created: boolean; model: ModelRecord; previous?: ModelRecord }> {
  const now = new Date().toISOString();
  const names: Record<string, string> = { '#createdAt': 'createdAt', '#updatedAt': 'updatedAt' };
  const values: Record<string, unknown> = { ':now': now, ':modelId': modelId, ':index': keys.modelsIndex };
  const sets = ['#createdAt = if_not_exists(#createdAt, :now)', '#updatedAt = :now', 'modelId = :modelId'];
  const removes: string[] = [];
  for (const field of MODEL_FIELDS) {
    names[`#${field}`] = field;
    if (input[field] === undefined) removes.push(`#${field}`);
    else {
      values[`:${field}`] = input[field];
      sets.push(`#${field} = :${field}`);
    }
  }
  sets.push('gsi1pk = :index', 'gsi1sk = :modelId');
  const { Attributes: old } = await dynamoDb.send(
    new UpdateCommand({
      TableName: table,
      Key: keys.model(modelId),
      UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_OLD',
    }),
  );
  const model = await getModel(modelId);
  if (!model) throw new Error(`Model ${modelId} vanished after its update`);
  return {
    created: old === undefined,
    model,
    ...(old ? { previous: strip(old) as unknown as ModelRecord } : {}),
  };
}

export async function getModel(modelId: string): Promise<ModelRecord | undefined> {
  const { Item } = await dynamoDb.send(
    new GetCommand({ TableName: table, Key: keys.model(modelId), ConsistentRead: true }),
  );
  return Item ? (strip(Item) as unknown as ModelRecord) : undefined;
}

/** The model, or a 404 naming it. */
export async function loadModel(modelId: string): Promise<ModelRecord> {
  const model = await getModel(modelId);
  if (!model)
    throw new HttpError(404, 'not_found', `Model ${modelId} is not registered`, [
      { path: 'modelId', message: 'unknown model' },
    ]);
  return model;
}

/** The query of the model index, by id. */
const modelIndexQuery = {
  TableName: table,
  IndexName: 'gsi1',
  KeyConditionExpression: 'gsi1pk = :pk',
  ExpressionAttributeValues: { ':pk': keys.modelsIndex },
};

export async function listModels(): Promise<ModelRecord[]> {
  const { items } = await queryItems(modelIndexQuery);
  return items.map((item) => strip(item) as unknown as ModelRecord);
}

/** One page of the registered models, by id, and the key to resume after it when there may be more. */
export async function listModelPage(options: {
  limit: number;
  after?: Record<string, string>;
}): Promise<{ models: ModelRecord[]; nextKey?: Record<string, unknown> }> {
  const { items, nextKey } = await queryItems(modelIndexQuery, options);
  return {
    models: items.map((item) => strip(item) as unknown as ModelRecord),
    ...(nextKey ? { nextKey } : {}),
  };
}

/** Whether a page key is one of the model index (see {@link listModelPage}). */
export function isModelPageKey(key: Record<string, string>): boolean {
  return (
    key.gsi1pk === keys.modelsIndex &&
    typeof key.gsi1sk === 'string' &&
    key.pk === keys.model(key.gsi1sk).pk &&
    key.sk === keys.model(key.gsi1sk).sk &&
    Object.keys(key).length === 4
  );
}

/** Creates a model key; the secret is returned once and only its hash is stored. */
export async function createModelKey(
  modelId: string,
  scopes: readonly KeyScope[] = DEFAULT_KEY_SCOPES,
  name?: string,
): Promise<{ keyId: string; key: string; scopes: KeyScope[]; name?: string; createdAt: string }> {
  const keyId = `key_${randomBytes(8).toString('hex')}`;
  const key = newModelKey();
  const hash = hashKey(key);
  const createdAt = new Date().toISOString();
  // The model-side record first: a key that exists for lookup can always be found to revoke.
  await dynamoDb.send(
    new PutCommand({
      TableName: table,
      Item: {
        ...keys.modelKey(modelId, keyId),
        keyId,
        modelId,
        hash,
        scopes: [...scopes],
        ...(name ? { name } : {}),
        createdAt,
      },
    }),
  );
  await dynamoDb.send(
    new PutCommand({
      TableName: table,
      Item: {
        ...keys.apiKey(hash),
        keyId,
        modelId,
        scopes: [...scopes],
        ...(name ? { name } : {}),
        createdAt,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
  return { keyId, key, scopes: [...scopes], ...(name ? { name } : {}), createdAt };
}

/** Revokes a model key: its lookup record goes at once, so the next request with it is refused. */
export async function revokeModelKey(modelId: string, keyId: string): Promise<void> {
  const { Item } = await dynamoDb.send(
    new GetCommand({ TableName: table, Key: keys.modelKey(modelId, keyId), ConsistentRead: true }),
  );
  if (!Item || Item.revokedAt) {
    throw new HttpError(404, 'not_found', `Model ${modelId} has no active key ${keyId}`, [
      { path: 'keyId', message: 'unknown or revoked key' },
    ]);
  }
  await dynamoDb
    .send(
      new UpdateCommand({
        TableName: table,
        Key: keys.apiKey(Item.hash as string),
        UpdateExpression: 'SET revokedAt = :now',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':now': new Date().toISOString() },
      }),
    )
    .catch((error: unknown) => {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    });
  await dynamoDb.send(
    new UpdateCommand({
      TableName: table,
      Key: keys.modelKey(modelId, keyId),
      UpdateExpression: 'SET revokedAt = :now',
      ExpressionAttributeValues: { ':now': new Date().toISOString() },
    }),
  );
}

export async function listModelKeys(
  modelId: string,
): Promise<{ keyId: string; scopes: KeyScope[]; name?: string; createdAt: string; revokedAt?: string }[]> {
  const { Items } = await dynamoDb.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.model(modelId).pk, ':prefix': 'KEY#' },
    }),
  );
  return (Items ?? []).map((item) => ({
    keyId: item.keyId as string,
    scopes: storedScopes(item.scopes),
    ...(item.name ? { name: item.name as string } : {}),
    createdAt: item.createdAt as string,
    ...(item.revokedAt ? { revokedAt: item.revokedAt as string } : {}),
  }));
}

/**
 * Registers a model version (semantic versions are immutable: a second registration of the same
 * one is 409). The first version of a model becomes its production version.
 */
export async function addVersion(modelId: string, input: VersionInput): Promise<VersionRecord> {
  const record: VersionRecord = { ...input, modelId, createdAt: new Date().toISOString() };
  try {
    await dynamoDb.send(
      new PutCommand({
        TableName: table,
        Item: { ...keys.version(modelId, input.version), ...record },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      throw new HttpError(409, 'conflict', `Version ${input.version} of ${modelId} already exists`, [
        { path: 'version', message: 'already registered' },
      ]);
    }
    throw error;
  }
  await dynamoDb
    .send(
      new UpdateCommand({
        TableName: table,
        Key: keys.model(modelId),
        UpdateExpression: 'SET productionVersion = :v',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(productionVersion)',
        ExpressionAttributeValues: { ':v': input.version },
      }),
    )
    .catch((error: unknown) => {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    });
  return record;
}

export async function getVersion(modelId: string, version: string): Promise<VersionRecord | undefined> {
  const { Item } = await dynamoDb.send(
    new GetCommand({ TableName: table, Key: keys.version(modelId, version) }),
  );
  return Item ? (strip(Item) as unknown as VersionRecord) : undefined;
}

export async function listVersions(modelId: string): Promise<VersionRecord[]> {
  const { Items } = await dynamoDb.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.model(modelId).pk, ':prefix': keys.versionPrefix },
    }),
  );
  return (Items ?? []).map((item) => strip(item) as unknown as VersionRecord);
}

/**
 * Makes `version` the production version and keeps the current one as `previousVersion`, on
 * the condition that production is still `expectedCurrent` (no concurrent promotion slipped in).
 */
export async function setProductionVersion(
  modelId: string,
  version: string,
  expectedCurrent: string | undefined,
): Promise<void> {
  await dynamoDb.send(
    new UpdateCommand({
      TableName: table,
      Key: keys.model(modelId),
      UpdateExpression: expectedCurrent
        ? 'SET productionVersion = :v, previousVersion = :current, productionSince = :now, updatedAt = :now'
        : 'SET productionVersion = :v, updatedAt = :now',
      ConditionExpression: expectedCurrent
        ? 'productionVersion = :current'
        : 'attribute_exists(pk) AND attribute_not_exists(productionVersion)',
      ExpressionAttributeValues: {
        ':v': version,
        ':now': new Date().toISOString(),
        ...(expectedCurrent ? { ':current': expectedCurrent } : {}),
      },
    }),
  );
}
