import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { apiHandler } from '../../functions/commons/api/handler.ts';
import { ReadLimitError } from '../../functions/commons/clients/read-limit.ts';
import { logger } from '../../functions/commons/powertools/logger.ts';
import { metrics } from '../../functions/commons/powertools/metrics.ts';
import { observed } from '../../functions/commons/powertools/middleware.ts';

const context = { functionName: 'job', awsRequestId: 'r-1' } as Context;

/** A background job whose bounded read refused fails, logged as an error and counted. */
describe('a refused bounded read in a background job', () => {
  afterEach(() => vi.restoreAllMocks());

  it('fails the invocation, logs an error naming the read and counts ReadLimitExceeded', async () => {
    const errors = vi.spyOn(logger, 'error');
    const added = vi.spyOn(metrics, 'addMetric');
    const job = observed(async () => {
      throw new ReadLimitError('open incidents', 30_000);
    });
    await expect(job({}, context)).rejects.toBeInstanceOf(ReadLimitError);
    expect(errors).toHaveBeenCalledWith('read refused past its bound', {
      what: 'open incidents',
      bound: 30_000,
    });
    expect(added).toHaveBeenCalledWith('ReadLimitExceeded', 'Count', 1);
  });

  it('leaves other errors to the invocation alone', async () => {
    const added = vi.spyOn(metrics, 'addMetric');
    const job = observed(async () => {
      throw new Error('something else');
    });
    await expect(job({}, context)).rejects.toThrow('something else');
    expect(added).not.toHaveBeenCalledWith('ReadLimitExceeded', 'Count', 1);
  });

  it('answers a request whose bounded read no route turned into a 4xx with a 500, and counts it', async () => {
    const added = vi.spyOn(metrics, 'addMetric');
    const api = apiHandler({
      'GET /v1/things': async () => {
        throw new ReadLimitError('things', 10);
      },
    });
    const event = { httpMethod: 'GET', resource: '/v1/things', pathParameters: null } as APIGatewayProxyEvent;
    const answer = (await api(event, context)) as { statusCode: number; body: string };
    expect(answer.statusCode).toBe(500);
    expect(answer.body).not.toContain('things');
    expect(added).toHaveBeenCalledWith('ReadLimitExceeded', 'Count', 1);
  });
});
