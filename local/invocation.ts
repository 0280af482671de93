import { AsyncLocalStorage } from 'node:async_hooks';
import type { FunctionId } from '../lib/functions.ts';

const running = new AsyncLocalStorage<FunctionId>();

/**
 * The catalog function whose invocation the current code belongs to. In AWS each function runs
 * alone with its own role; locally every handler shares one process, so whatever must tell them
 * apart (which function sent a DynamoDB request, and so which role's grants apply) asks here.
 */
export function runningFunction(): FunctionId | undefined {
  return running.getStore();
}

/** The handler, invoked as the function `id`: everything it does, awaited or not, runs as that function. */
export function asFunction<A extends unknown[], R>(
  id: FunctionId,
  handler: (...args: A) => R,
): (...args: A) => R {
  return (...args) => running.run(id, () => handler(...args));
}
