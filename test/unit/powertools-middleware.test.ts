import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logger } from '../../functions/commons/powertools/logger.ts';
import { metrics } from '../../functions/commons/powertools/metrics.ts';
import { observed, TIMEOUT_MARGIN_MS } from '../../functions/commons/powertools/middleware.ts';

const context = {
  functionName: 'job',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:job',
  memoryLimitInMB: '512',
  awsRequestId: 'request-1',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

/**
 * The JSON log lines the logger writes while `run` runs, at INFO level (which a handler sets
 * again inside an invocation: each one starts from the configured level).
 */
async function logLines(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const level = logger.getLevelName();
  logger.setLogLevel('INFO');
  const written: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  try {
    await run().catch(() => undefined);
  } finally {
    write.mockRestore();
    logger.setLogLevel(level);
  }
  return written.flatMap((text) => text.split('\n').filter(Boolean)).map((line) => JSON.parse(line));
}

/** The standard Powertools stack around every handler (`observed`), without Middy. */
describe('an observed handler', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('passes the event and context through and answers what the handler answers', async () => {
    const handler = observed(async (event: { n: number }, seen: Context) => ({
      doubled: event.n * 2,
      requestId: seen.awsRequestId,
    }));
    await expect(handler({ n: 21 }, context)).resolves.toEqual({ doubled: 42, requestId: 'request-1' });
  });

  it("puts the Lambda context on the invocation's log lines and clears the keys it appended afterwards", async () => {
    const handler = observed(async () => {
      logger.setLogLevel('INFO');
      logger.appendKeys({ modelId: 'm-1' });
      logger.info('inside');
    });
    const lines = await logLines(async () => {
      await handler({}, context);
      logger.info('after');
    });
    const inside = lines.find((line) => line.message === 'inside');
    expect(inside).toMatchObject({
      function_name: 'job',
      function_request_id: 'request-1',
      function_arn: context.invokedFunctionArn,
      modelId: 'm-1',
    });
    const after = lines.find((line) => line.message === 'after');
    expect(after).toBeDefined();
    expect(after).not.toHaveProperty('modelId');
  });

  it('never logs the event', async () => {
    vi.stubEnv('POWERTOOLS_LOGGER_LOG_EVENT', 'true');
    const handler = observed(async () => {
      logger.setLogLevel('INFO');
      logger.info('inside');
    });
    const lines = await logLines(() => handler({ headers: { 'x-api-key': 'vgl_secret' } }, context));
    expect(lines.map((line) => line.message)).toEqual(['inside']);
    expect(JSON.stringify(lines)).not.toContain('vgl_secret');
  });

  it('flushes the metrics after each invocation, whether it succeeds or fails', async () => {
    const flushed = vi.spyOn(metrics, 'publishStoredMetrics');
    await observed(async () => 'ok')({}, context);
    expect(flushed).toHaveBeenCalledTimes(1);
    const failing = observed(async () => {
      throw new Error('boom');
    });
    await expect(failing({}, context)).rejects.toThrow('boom');
    expect(flushed).toHaveBeenCalledTimes(2);
  });

  it(`fails with a TimeoutError ${TIMEOUT_MARGIN_MS} ms before Lambda's timeout, its metrics flushed`, async () => {
    vi.useFakeTimers();
    const flushed = vi.spyOn(metrics, 'publishStoredMetrics');
    const handler = observed(() => new Promise<string>(() => {}));
    const answer = handler({}, { ...context, getRemainingTimeInMillis: () => 1_000 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    await vi.advanceTimersByTimeAsync(1_000 - TIMEOUT_MARGIN_MS - 1);
    expect(flushed).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    const error = await answer;
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('TimeoutError');
    expect(flushed).toHaveBeenCalledTimes(1);
  });

  it('leaves no timer behind once the handler answered', async () => {
    vi.useFakeTimers();
    await observed(async () => 'ok')({}, context);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('runs without a timeout where the context has no remaining time (a test, a container)', async () => {
    const handler = observed(async () => 'ok');
    await expect(handler({}, { functionName: 'job', awsRequestId: 'r' } as Context)).resolves.toBe('ok');
  });
});
