import { APIGatewayClient, FlushStageAuthorizersCacheCommand } from '@aws-sdk/client-api-gateway';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const apiGateway = mockClient(APIGatewayClient);

/** The module as a fresh execution environment loads it: it reads API_ID and API_STAGE at load. */
async function load() {
  vi.resetModules();
  return import('../../functions/commons/api/authorizer-cache.ts');
}

describe('the authorizer cache flush (key revocation)', () => {
  beforeEach(() => apiGateway.reset());
  afterEach(() => vi.unstubAllEnvs());

  it("flushes the stage's authorizer cache in AWS", async () => {
    // Prepare
    vi.stubEnv('API_ID', 'abc123');
    vi.stubEnv('API_STAGE', 'v1');
    apiGateway.on(FlushStageAuthorizersCacheCommand).resolves({});
    const { flushAuthorizerCache } = await load();

    // Act
    await flushAuthorizerCache();
    await flushAuthorizerCache();

    // Assess
    expect(apiGateway).toHaveReceivedCommandTimes(FlushStageAuthorizersCacheCommand, 2);
    expect(apiGateway).toHaveReceivedCommandWith(FlushStageAuthorizersCacheCommand, {
      restApiId: 'abc123',
      stageName: 'v1',
    });
  });

  it('has nothing to flush locally, where no stage is named', async () => {
    // Prepare
    vi.stubEnv('API_ID', '');
    vi.stubEnv('API_STAGE', '');
    const { flushAuthorizerCache } = await load();

    // Act
    await flushAuthorizerCache();

    // Assess
    expect(apiGateway).not.toHaveReceivedCommand(FlushStageAuthorizersCacheCommand);
  });

  it('lets a failed flush fail the revocation request', async () => {
    // Prepare
    vi.stubEnv('API_ID', 'abc123');
    vi.stubEnv('API_STAGE', 'v1');
    apiGateway.on(FlushStageAuthorizersCacheCommand).rejects(new Error('throttled'));
    const { flushAuthorizerCache } = await load();

    // Act / Assess
    await expect(flushAuthorizerCache()).rejects.toThrow('throttled');
  });
});
