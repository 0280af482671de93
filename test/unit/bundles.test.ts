import * as path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundling } from '#lib/bundling';
import { functionCatalog } from '#lib/functions';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/** The packages a function's bundle holds, as esbuild resolves them with the deploy options. */
async function bundledPackages(name: keyof typeof functionCatalog): Promise<Set<string>> {
  const result = await build({
    entryPoints: [path.join(repoRoot, functionCatalog[name].entry)],
    bundle: true,
    write: false,
    outdir: 'out',
    platform: 'node',
    format: 'esm',
    target: bundling.target,
    mainFields: [...bundling.mainFields],
    metafile: true,
    logLevel: 'silent',
  });
  const packages = new Set<string>();
  for (const input of Object.keys(result.metafile.inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match?.[1]) packages.add(match[1]);
  }
  return packages;
}

describe('cold starts: what a function loads', () => {
  it('keeps the X-Ray SDK out of the request handlers and in the traced background functions', async () => {
    const untraced = ['authorizer', 'ingest', 'evaluations', 'registry'] as const;
    const traced = ['scheduledEvaluation', 'workflowSteps'] as const;
    const bundles = await Promise.all([...untraced, ...traced].map(bundledPackages));
    untraced.forEach((name, i) => {
      const packages = bundles[i] as Set<string>;
      expect(packages.has('@aws-lambda-powertools/logger'), name).toBe(true);
      expect(packages.has('@aws-lambda-powertools/metrics'), name).toBe(true);
      expect(packages.has('aws-xray-sdk-core'), name).toBe(false);
    });
    traced.forEach((name, i) => {
      expect(bundles[untraced.length + i]?.has('aws-xray-sdk-core'), name).toBe(true);
    });
  }, 60_000);
});
