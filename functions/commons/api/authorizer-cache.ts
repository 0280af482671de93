import type { APIGatewayClient } from '@aws-sdk/client-api-gateway';

const restApiId = process.env.API_ID;
const stageName = process.env.API_STAGE;
let client: APIGatewayClient | undefined;

/**
 * Makes a key revocation take effect at once: API Gateway caches the authorizer's answer per key,
 * so the stage's authorizer cache is flushed. Locally there is no cache and nothing to flush.
 */
export async function flushAuthorizerCache(): Promise<void> {
  if (!restApiId || !stageName) return;
  // The SDK's API Gateway client is loaded here, not at cold start: few requests revoke a key.
  const sdk = await import('@aws-sdk/client-api-gateway');
  client ??= new sdk.APIGatewayClient({});
  await client.send(new sdk.FlushStageAuthorizersCacheCommand({ restApiId, stageName }));
}
