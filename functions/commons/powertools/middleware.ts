import type { Context } from 'aws-lambda';
import { ReadLimitError } from '../clients/read-limit.ts';
import { logger } from './logger.ts';
import { metrics } from './metrics.ts';
import { readableError } from './readable-error.ts';

/** An invocation ends this long before Lambda's timeout, so that its metrics and logs still go out. */
export const TIMEOUT_MARGIN_MS = 5;

/** The error an invocation fails with {@link TIMEOUT_MARGIN_MS} before Lambda's timeout. */
export class InvocationTimeoutError extends Error {
  constructor() {
    super('The invocation was about to reach its timeout');
    this.name = 'TimeoutError';
  }
}

/**
 * A handler in the standard Powertools stack: metrics flushed, the Lambda context on every log
 * line. Every function uses it. It loads no X-Ray SDK, which would be most of a small
 * function's cold start: with active tracing, Lambda itself records each invocation, its
 * initialisation and its errors in X-Ray, and no handler's response or event can reach a trace.
 *
 * Around each invocation, what the Powertools Middy middlewares did (`injectLambdaContext` with
 * `clearState`, `logMetrics`), by the same Logger and Metrics calls but without Middy, whose
 * module loads Node.js's web streams at every cold start for response streaming, which no
 * function uses:
 * - before: the Lambda context on every log line (the event is never logged: events carry
 *   `x-api-key` headers, link signatures, form tokens, request bodies and task tokens);
 * - on an error: its stack mapped to the sources (`readableError`); a bounded read that
 *   refused (more items than it takes) is an error to act on,
 *   never a partial result: logged and counted `ReadLimitExceeded` before the invocation fails;
 * - after, whatever the outcome: the keys appended during the invocation cleared, the metrics
 *   flushed;
 * - {@link TIMEOUT_MARGIN_MS} before Lambda's timeout, the invocation fails with a `TimeoutError`
 *   rather than being cut off, so its metrics are still flushed (as Middy did).
 */
export function observed<E, R>(handler: (event: E, context: Context) => Promise<R>) {
  return async (event: E, context: Context): Promise<R> => {
    logger.refreshSampleRateCalculation();
    logger.addContext(context);
    let timer: NodeJS.Timeout | undefined;
    try {
      const run = handler(event, context);
      const remaining = context.getRemainingTimeInMillis?.();
      if (remaining === undefined) return await run;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new InvocationTimeoutError()), remaining - TIMEOUT_MARGIN_MS);
      });
      return await Promise.race([run, timeout]);
    } catch (error) {
      // Mapped to the sources before anything logs it, and before the Lambda runtime prints it
      // ("Invoke Error").
      await readableError(error);
      if (error instanceof ReadLimitError) {
        logger.error('read refused past its bound', { what: error.what, bound: error.bound });
        metrics.addMetric('ReadLimitExceeded', 'Count', 1);
      }
      throw error;
    } finally {
      clearTimeout(timer);
      logger.clearBuffer();
      logger.resetKeys();
      metrics.publishStoredMetrics();
    }
  };
}
