import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { isAdminKey } from '#commons/api/admin-key';
import type { AuthorizerContext } from '#commons/api/principal';
import { findActiveKey, hashKey, hasModelKeyShape } from '#commons/registry/key-lookup';
import { logger } from '#powertools/logger';
import { metrics } from '#powertools/metrics';
import { readableError } from '#powertools/readable-error';

/**
 * The API's request authorizer: `x-api-key` is the admin key or an active model key. API
 * Gateway caches the answer per key, so the policy covers every route the key may call:
 * everything for the admin key; a model key, by its scopes, its own model's ingest routes
 * (`ingest`), the candidate callback of incidents (`candidate`) and an agent's decisions on
 * incidents (`agent`); for the last two the handler checks the incident's model. The scopes travel in the context for the handlers to check again. An unknown or revoked key is
 * 401 (thrown "Unauthorized"); a known key outside its policy is 403.
 */
export async function handler(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  try {
    return await authorize(event);
  } catch (error) {
    // A failure (DynamoDB, Secrets Manager) reaches the runtime's log with its stack mapped to
    // the sources; a refused key is API Gateway's answer, no error to map.
    if (!(error instanceof Error && error.message === 'Unauthorized')) await readableError(error);
    throw error;
  }
}

async function authorize(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const key = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'x-api-key')?.[1];
  if (!key) {
    metrics.addMetric('AuthorizerDenials', MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
    throw new Error('Unauthorized');
  }

  // arn:aws:execute-api:region:account:apiId/stage/METHOD/path
  const [apiArn, stage] = event.methodArn.split('/');
  const base = `${apiArn}/${stage}`;

  // A key of a model key's shape is looked up first; the admin key's secret is read only for
  // another key, or for one no active model key matches: model keys, nearly every call, never
  // load Secrets Manager. Either way a key is the admin key or an active model key.
  const modelFirst = hasModelKeyShape(key);
  let found = modelFirst ? await findActiveKey(hashKey(key)) : undefined;
  if (!found && (await isAdminKey(key))) {
    const context: AuthorizerContext = { principal: 'admin' };
    return policy('admin', [`${base}/*/*`], context);
  }
  if (!found && !modelFirst) found = await findActiveKey(hashKey(key));
  if (!found) {
    logger.info('unknown or revoked key');
    metrics.addMetric('AuthorizerDenials', MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
    throw new Error('Unauthorized');
  }
  const context: AuthorizerContext = {
    principal: 'model',
    modelId: found.modelId,
    keyId: found.keyId,
    scopes: found.scopes.join(' '),
  };
  return policy(
    `model:${found.modelId}:${found.keyId}`,
    [
      ...(found.scopes.includes('ingest')
        ? ['predictions', 'actuals', 'metrics', 'feedback'].map(
            (route) => `${base}/POST/v1/models/${found.modelId}/${route}`,
          )
        : []),
      ...(found.scopes.includes('candidate') ? [`${base}/POST/v1/incidents/*/candidate`] : []),
      ...(found.scopes.includes('agent') ? [`${base}/POST/v1/incidents/*/decisions`] : []),
    ],
    context,
  );
}

function policy(
  principalId: string,
  resources: string[],
  context: AuthorizerContext,
): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: resources }],
    },
    context,
  };
}
