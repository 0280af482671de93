import type { APIGatewayClient } from '@aws-sdk/client-api-gateway';

const restApiId = process.env.API_ID;
const stageName = process.env.API_STAGE;
let client: APIGatewayClient | undefined;
/** The API Gateway client code, loaded on the first flush (once per container), not at load. */
let sdk: Promise<typeof import('./api-gateway-client.ts')> | undefined;

/**
 * Makes a key revocation take effect at once: API Gateway caches the authorizer's answer per key,
 * so the stage's authorizer cache is flushed. Locally there is no cache and nothing to flush.
 */
export async function flushAuthorizerCache(): Promise<void> {
  if (!restApiId || !stageName) return;
  sdk ??= import('./api-gateway-client.ts');
  const { newApiGatewayClient, FlushStageAuthorizersCacheCommand } = await sdk;
  client ??= newApiGatewayClient();
  await client.send(new FlushStageAuthorizersCacheCommand({ restApiId, stageName }));
}
