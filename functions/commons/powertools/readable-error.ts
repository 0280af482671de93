/** The errors whose stacks were mapped already: an error logged, then rethrown, is mapped once. */
const mapped = new WeakSet<Error>();

/**
 * The error itself, its stack (and its causes') mapped to the TypeScript sources, file and line
 * (`stack-map.ts`): call it before logging an unexpected error or letting it escape to the
 * Lambda runtime, whose "Invoke Error" line prints the stack too. The mapper, and the source
 * maps of the chunks its frames name, load on the first error alone: a cold start reads no
 * map. Never throws; anything else than an Error, or an error that cannot be mapped, is
 * returned as it was. Where no map lies beside the code (the TypeScript sources run locally),
 * the stack stays as it is.
 */
export async function readableError<T>(error: T): Promise<T> {
  if (!(error instanceof Error) || mapped.has(error)) return error;
  mapped.add(error);
  try {
    const { mapErrorStacks } = await import('./stack-map.ts');
    mapErrorStacks(error);
  } catch {
    // The original stack stays.
  }
  return error;
}
