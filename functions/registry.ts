import type { APIGatewayProxyEvent } from 'aws-lambda';
import { flushAuthorizerCache } from '#commons/api/authorizer-cache';
import { apiHandler } from '#commons/api/handler';
import { decodePageToken, encodePageToken } from '#commons/api/page';
import { principalOf, requireAdmin } from '#commons/api/principal';
import { parseBody, parseBodyAsync, parseParams } from '#commons/api/request';
import {
  approverAddresses,
  deliveryOf,
  followApprovers,
  resendConfirmations,
} from '#commons/delivery/subscriptions';
import { nextFire } from '#commons/evaluation/cron';
import { json } from '#commons/http';
import { requestOrigin } from '#commons/incidents/origin';
import { sizeWriteShards } from '#commons/registry/capacity';
import { modelIdSchema } from '#commons/registry/fields';
import {
  keyListQuerySchema,
  MAX_KEYS_PER_PAGE,
  MAX_VERSIONS_PER_PAGE,
  versionListQuerySchema,
} from '#commons/registry/lists';
import { keyInputSchema, modelListQuerySchema, versionInputSchema } from '#commons/registry/route-schemas';
import {
  addVersion,
  createModelKey,
  getModel,
  isModelKeyPageKey,
  isModelPageKey,
  isVersionPageKey,
  listModelKeyPage,
  listModelPage,
  listVersionPage,
  loadModel,
  type ModelRecord,
  putModel,
  revokeModelKey,
} from '#commons/registry/store';
import * as z from '#commons/zod';
import { logger } from '#powertools/logger';
import { metrics } from '#powertools/metrics';

const modelPath = z.object({ modelId: modelIdSchema });
const keyPath = z.object({
  modelId: modelIdSchema,
  keyId: z.string().check(z.regex(/^key_[0-9a-f]{16}$/, 'a key id such as key_0123456789abcdef')),
});

function admin(event: APIGatewayProxyEvent): void {
  requireAdmin(principalOf(event));
}

/**
 * Subscribes the model's approvers. A failure here does not undo the registration: the scheduled
 * refresh subscribes any address a model names that has no subscription, and the answer shows the
 * addresses as unsubscribed meanwhile.
 */
async function follow(model: ModelRecord, previous?: ModelRecord) {
  try {
    return await followApprovers(model, previous);
  } catch (error) {
    logger.warn('approver subscriptions left to the scheduled refresh', { modelId: model.modelId, error });
    metrics.addMetric('SubscriptionFailures', 'Count', 1);
    return Object.fromEntries(approverAddresses(model.approvers).map((address) => [address, 'unsubscribed']));
  }
}

/** The admin API of the model registry: models, keys and versions. */
export const handler = apiHandler({
  'PUT /v1/models/{modelId}': async (event) => {
    admin(event);
    const { modelId } = parseParams(event.pathParameters, modelPath, 'path');
    // The model's schema, the largest of all, loads on this route's first call: the key, version and
    // read routes, most of the registry's calls, never build it (docs/architecture.md, "Cold start").
    const { modelInputSchema } = await import('#commons/registry/schema');
    const input = await parseBodyAsync(event, modelInputSchema);
    // Enough write shards for the declared load, or a warning in the answer when there cannot be.
    const { writeShards, warnings } = sizeWriteShards(input);
    for (const warning of warnings)
      logger.warn('write shards sized for the expected load', { modelId, ...warning });
    const { created, model, previous } = await putModel(modelId, { ...input, writeShards });
    metrics.addMetric(created ? 'ModelsRegistered' : 'ModelsUpdated', 'Count', 1);
    const answer = { ...model, delivery: await follow(model, previous) };
    return json(created ? 201 : 200, warnings.length > 0 ? { ...answer, warnings } : answer);
  },

  'GET /v1/models': async (event) => {
    admin(event);
    const query = parseParams(event.queryStringParameters, modelListQuerySchema, 'query');
    const page = await listModelPage({
      limit: query.limit,
      after: decodePageToken(query.nextToken, isModelPageKey),
    });
    const nextToken = encodePageToken(page.nextKey);
    return json(200, { models: page.models, ...(nextToken ? { nextToken } : {}) });
  },

  'GET /v1/models/{modelId}': async (event) => {
    admin(event);
    const { modelId } = parseParams(event.pathParameters, modelPath, 'path');
    const model = await loadModel(modelId);
    // The first page of versions and of keys; their routes page through the rest.
    const [versions, keys, delivery] = await Promise.all([
      listVersionPage(modelId, { limit: MAX_VERSIONS_PER_PAGE }),
      listModelKeyPage(modelId, { limit: MAX_KEYS_PER_PAGE }),
      deliveryOf(model),
    ]);
    const next =
      model.schedule.cron === undefined
        ? {}
        : { nextScheduledRun: await nextFire(model.schedule, new Date()) };
    const versionsNextToken = encodePageToken(versions.nextKey);
    const keysNextToken = encodePageToken(keys.nextKey);
    return json(200, {
      ...model,
      ...next,
      versions: versions.versions,
      keys: keys.keys,
      delivery,
      ...(versionsNextToken ? { versionsNextToken } : {}),
      ...(keysNextToken ? { keysNextToken } : {}),
    });
  },

  'GET /v1/models/{modelId}/versions': async (event) => {
    admin(event);
    const { modelId } = parseParams(event.pathParameters, modelPath, 'path');
    const query = parseParams(event.queryStringParameters, versionListQuerySchema, 'query');
    const after = decodePageToken(query.nextToken, (key) => isVersionPageKey(modelId, key));
    await loadModel(modelId);
    const page = await listVersionPage(modelId, { limit: query.limit, ...(after ? { after } : {}) });
    const nextToken = encodePageToken(page.nextKey);
    return json(200, { versions: page.versions, ...(nextToken ? { nextToken } : {}) });
  },

  'GET /v1/models/{modelId}/keys': async (event) => {
    admin(event);
    const { modelId } = parseParams(event.pathParameters, modelPath, 'path');
    const query = parseParams(event.queryStringParameters, keyListQuerySchema, 'query');
    const after = decodePageToken(query.nextToken, (key) => isModelKeyPageKey(modelId, key));
    await loadModel(modelId);
    const page = await listModelKeyPage(modelId, { limit: query.limit, ...(after ? { after } : {}) });
    const nextToken = encodePageToken(page.nextKey);
    return json(200, { keys: page.keys, ...(nextToken ? { nextToken } : {}) });
  },

  'POST /v1/models/{modelId}/delivery/resend': async (event) => {
    admin(event);
    const { modelId } = parseParams(event.pathParameters, modelPath, 'path');
    const model = await loadModel(modelId);
    const { resent, delivery } = await resendConfirmations(model);
    return json(200, { modelId, resent, delivery });
  },

  'POST /v1/models/{modelId}/keys': async (event) => {
    admin(event);
    const { modelId } = parseParams(event.pathParameters, modelPath, 'path');
    // No body at all is an `ingest` key, as before scopes existed (a body with a media type comes as base64).
    const text = event.isBase64Encoded
      ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
      : event.body;
    const { scopes, name } = text?.trim() ? parseBody(event, keyInputSchema) : keyInputSchema.parse({});
    await loadModel(modelId);
    const created = await createModelKey(modelId, scopes, name);
    return json(201, created);
  },

  'DELETE /v1/models/{modelId}/keys/{keyId}': async (event) => {
    admin(event);
    const { modelId, keyId } = parseParams(event.pathParameters, keyPath, 'path');
    await revokeModelKey(modelId, keyId);
    await flushAuthorizerCache();
    return json(200, { keyId, revoked: true });
  },

  'POST /v1/models/{modelId}/versions': async (event) => {
    admin(event);
    const { modelId } = parseParams(event.pathParameters, modelPath, 'path');
    const input = parseBody(event, versionInputSchema);
    await loadModel(modelId);
    const version = await addVersion(modelId, input);
    const model = await getModel(modelId);
    return json(201, { ...version, productionVersion: model?.productionVersion });
  },

  'PUT /v1/models/{modelId}/baseline': async (event) => {
    admin(event);
    const { modelId } = parseParams(event.pathParameters, modelPath, 'path');
    // The registry's rare call (a model's reference data, fitted again months apart): fitting
    // profiles and resuming a review load on its first use, not at every cold start.
    const { baselineSchema, putBaselineOrResumeReview } = await import('#commons/baseline-review/put');
    const input = parseBody(event, baselineSchema);
    const model = await loadModel(modelId);
    // A baseline review waiting for a new baseline resumes with it (QA approves it before use).
    const { baseline, inUse, reviewIncidentId } = await putBaselineOrResumeReview(
      model,
      input,
      'admin',
      requestOrigin(event),
    );
    metrics.addMetric('BaselinesFitted', 'Count', 1);
    return json(201, { ...baseline, inUse, ...(reviewIncidentId ? { reviewIncidentId } : {}) });
  },
});
