let loading: Promise<typeof import('./rare-paths.ts')> | undefined;

/**
 * The evaluation functions' rare paths (`rare-paths.ts`: an incident to open, a revert to
 * settle, an agent's decision to announce or apply...), imported on first use and kept for the
 * execution environment.
 */
export function rarePaths(): Promise<typeof import('./rare-paths.ts')> {
  loading ??= import('./rare-paths.ts');
  return loading;
}
