import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb, withoutKeys as strip } from '#clients/dynamodb';
import { isItemKeyUnder, queryAll, queryItems } from '#clients/query';
import { DEFAULT_KEY_SCOPES, type KeyScope } from '#commons/api/principal';
import { requireEnv } from '#commons/config';
import { HttpError } from '#commons/http';
import { findActiveKey, hashKey, newModelKey, storedScopes } from './key-lookup.ts';
import { governanceKeys as keys } from './keys.ts';
import { MAX_MODELS } from './limits.ts';
import type { ModelInput, VersionInput } from './schema.ts';

/** The key lookup lives with the authorizer's small module; the registry uses it too. */
export { findActiveKey, hashKey, MAX_MODELS };

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

/** The update of a model's item with `input`: SET what it gives, REMOVE what it leaves out. */
function modelUpdate(modelId: string, input: ModelInput) {
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
  return {
    TableName: table,
    Key: keys.model(modelId),
    UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/**
 * Registers or updates a model; what Vigil tracks (versions, baseline, creation time) is kept.
 * Fields left out of an update (groundTruth) are removed. Returns the model before the update
 * too, when there was one. A new model takes one of the {@link MAX_MODELS} places first
 * ({@link takeModelPlace}): past them it is refused with a 409 and nothing is written.
 */
export async function putModel(
  modelId: string,
  input: ModelInput,
  maxModels = MAX_MODELS,
): Promise<{ created: boolean; model: ModelRecord; previous?: ModelRecord }> {
  const update = modelUpdate(modelId, input);
  let created = false;
  if (!(await getModel(modelId))) {
    await takeModelPlace(maxModels);
    try {
      await dynamoDb.send(new UpdateCommand({ ...update, ConditionExpression: 'attribute_not_exists(pk)' }));
      created = true;
    } catch (error) {
      // Registered meanwhile by a concurrent request (this one then updates it), or not written.
      await giveModelPlaceBack();
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
  let old: Record<string, unknown> | undefined;
  if (!created) {
    // An update never writes a model that took no place (models are never deleted: it exists).
    const condition = { ConditionExpression: 'attribute_exists(pk)', ReturnValues: 'ALL_OLD' } as const;
    ({ Attributes: old } = await dynamoDb.send(new UpdateCommand({ ...update, ...condition })));
  }
  const model = await getModel(modelId);
  if (!model) throw new Error(`Model ${modelId} vanished after its update`);
  return { created, model, ...(old ? { previous: strip(old) as unknown as ModelRecord } : {}) };
}

/** The 409 of a registration past the limit. */
function modelLimitError(maxModels: number): HttpError {
  return new HttpError(409, 'limit_reached', `Vigil registers at most ${maxModels} models`, [
    { path: 'modelId', message: `${maxModels} models are registered: a new one is refused` },
  ]);
}

/**
 * Takes a place for a new model in the count item: a conditional increment, so concurrent
 * registrations never pass `maxModels` together; a 409 when all places are taken. Models are
 * never deleted, so a place is only given back by a registration that did not write its model.
 * A deployment whose models were registered before the count item existed gets one, counted
 * from the model index, on its first registration ({@link countModels}).
 */
async function takeModelPlace(maxModels: number): Promise<void> {
  const increment = () =>
    dynamoDb.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.modelCount,
        UpdateExpression: 'ADD #n :one',
        ConditionExpression: '#n < :max',
        ExpressionAttributeNames: { '#n': 'models' },
        ExpressionAttributeValues: { ':one': 1, ':max': maxModels },
      }),
    );
  try {
    await increment();
    return;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
  const { Item } = await dynamoDb.send(
    new GetCommand({ TableName: table, Key: keys.modelCount, ConsistentRead: true }),
  );
  if (Item) throw modelLimitError(maxModels);
  // The first registration with a count: it starts from the models registered before it.
  await dynamoDb
    .send(
      new PutCommand({
        TableName: table,
        Item: { ...keys.modelCount, models: await countModels() },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    )
    .catch((error: unknown) => {
      // A concurrent registration created it first, from the same count.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    });
  try {
    await increment();
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw modelLimitError(maxModels);
    throw error;
  }
}

async function giveModelPlaceBack(): Promise<void> {
  await dynamoDb.send(
    new UpdateCommand({
      TableName: table,
      Key: keys.modelCount,
      UpdateExpression: 'ADD #n :minus',
      ExpressionAttributeNames: { '#n': 'models' },
      ExpressionAttributeValues: { ':minus': -1 },
    }),
  );
}

/**
 * The models registered, counted from the model index (ids only) up to one past
 * {@link MAX_MODELS}: once, when the count item does not exist yet. No model is registered
 * meanwhile, since registering one needs the count item.
 */
async function countModels(): Promise<number> {
  const { items } = await queryItems(
    { ...modelIndexQuery, ProjectionExpression: 'modelId' },
    { limit: MAX_MODELS + 1 },
  );
  return items.length;
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

/** Every registered model, by id, read page after page; {@link ReadLimitError} past {@link MAX_MODELS}. */
export async function listModels(): Promise<ModelRecord[]> {
  const items = await queryAll(modelIndexQuery, MAX_MODELS, 'registered models');
  return items.map((item) => strip(item) as unknown as ModelRecord);
}

/**
 * The first `bound` registered models by id, read page after page, and whether there are more
 * past them: what the scheduled evaluation reads, so that a count past the limit (a deployment
 * that had more models before registration refused them) leaves the first ones evaluated.
 */
export async function listFirstModels(bound = MAX_MODELS): Promise<{ models: ModelRecord[]; more: boolean }> {
  const { items } = await queryItems(modelIndexQuery, { limit: bound + 1 });
  return {
    models: items.slice(0, bound).map((item) => strip(item) as unknown as ModelRecord),
    more: items.length > bound,
  };
}

/**
 * Every registered model's id and approvers (a projection: what delivery needs, not whole
 * models), read page after page; {@link ReadLimitError} past {@link MAX_MODELS}.
 */
export async function listModelApprovers(): Promise<Pick<ModelRecord, 'modelId' | 'approvers'>[]> {
  const items = await queryAll(
    { ...modelIndexQuery, ProjectionExpression: 'modelId, approvers' },
    MAX_MODELS,
    'registered models',
  );
  return items as unknown as Pick<ModelRecord, 'modelId' | 'approvers'>[];
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

/** A model key as the API shows it: never its hash. */
export interface ModelKeyRecord {
  readonly keyId: string;
  readonly scopes: KeyScope[];
  readonly name?: string;
  readonly createdAt: string;
  readonly revokedAt?: string;
}

/**
 * One page of a model's keys (revoked ones included), by id, and the key to resume after it when
 * there may be more.
 */
export async function listModelKeyPage(
  modelId: string,
  options: { limit: number; after?: Record<string, string> },
): Promise<{ keys: ModelKeyRecord[]; nextKey?: Record<string, unknown> }> {
  const { items, nextKey } = await queryItems(
    {
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.model(modelId).pk, ':prefix': keys.modelKeyPrefix },
    },
    options,
  );
  return {
    keys: items.map((item) => ({
      keyId: item.keyId as string,
      scopes: storedScopes(item.scopes),
      ...(item.name ? { name: item.name as string } : {}),
      createdAt: item.createdAt as string,
      ...(item.revokedAt ? { revokedAt: item.revokedAt as string } : {}),
    })),
    ...(nextKey ? { nextKey } : {}),
  };
}

/** Whether a page key is one of the model's keys (see {@link listModelKeyPage}). */
export function isModelKeyPageKey(modelId: string, key: Record<string, string>): boolean {
  return isItemKeyUnder(key, keys.model(modelId).pk, keys.modelKeyPrefix);
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

/** One page of a model's versions, in key order, and the key to resume after it when there may be more. */
export async function listVersionPage(
  modelId: string,
  options: { limit: number; after?: Record<string, string> },
): Promise<{ versions: VersionRecord[]; nextKey?: Record<string, unknown> }> {
  const { items, nextKey } = await queryItems(
    {
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.model(modelId).pk, ':prefix': keys.versionPrefix },
    },
    options,
  );
  return {
    versions: items.map((item) => strip(item) as unknown as VersionRecord),
    ...(nextKey ? { nextKey } : {}),
  };
}

/** Whether a page key is one of the model's versions (see {@link listVersionPage}). */
export function isVersionPageKey(modelId: string, key: Record<string, string>): boolean {
  return isItemKeyUnder(key, keys.model(modelId).pk, keys.versionPrefix);
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
