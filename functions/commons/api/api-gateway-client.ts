/**
 * What the authorizer cache flush loads on its first call (a key revocation), not at a cold
 * start: the API Gateway client and its one command, a chunk of its own in the bundle.
 */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';

export { FlushStageAuthorizersCacheCommand } from '@aws-sdk/client-api-gateway';

export function newApiGatewayClient(): APIGatewayClient {
  return new APIGatewayClient({});
}
