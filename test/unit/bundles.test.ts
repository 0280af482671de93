import * as path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundling } from '#lib/bundling';
import { type FunctionId, functionCatalog } from '#lib/functions';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/** The files a function's bundle holds, as esbuild resolves them with the deploy options. */
async function bundledInputs(name: FunctionId): Promise<string[]> {
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
  return Object.keys(result.metafile.inputs);
}

function packagesOf(inputs: readonly string[]): Set<string> {
  const packages = new Set<string>();
  for (const input of inputs) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match?.[1]) packages.add(match[1]);
  }
  return packages;
}

describe('cold starts: what a function loads', () => {
  const names = Object.keys(functionCatalog) as FunctionId[];
  const bundles = Promise.all(names.map(async (name) => [name, await bundledInputs(name)] as const)).then(
    (entries) => new Map(entries),
  );

  it('loads no X-Ray SDK in any function: Lambda records the traces, no handler adds to them', async () => {
    const all = await bundles;
    expect(all.size).toBe(names.length);
    for (const [name, inputs] of all) {
      const packages = packagesOf(inputs);
      expect(packages.has('@aws-lambda-powertools/logger'), name).toBe(true);
      expect(packages.has('aws-xray-sdk-core'), name).toBe(false);
      expect(packages.has('@aws-lambda-powertools/tracer'), name).toBe(false);
    }
    for (const name of [
      'authorizer',
      'ingest',
      'evaluations',
      'registry',
      'scheduledEvaluation',
      'workflowSteps',
    ] as const) {
      expect(packagesOf((await bundles).get(name) ?? []).has('@aws-lambda-powertools/metrics'), name).toBe(
        true,
      );
    }
  }, 120_000);

  it('keeps statistics out of ingestion: counting values loads no p-value code', async () => {
    const all = await bundles;
    const ingest = packagesOf(all.get('ingest') ?? []);
    expect(ingest.has('@aws-sdk/client-dynamodb')).toBe(true);
    expect([...ingest].filter((name) => name.startsWith('@stdlib/'))).toEqual([]);
    expect(packagesOf(all.get('evaluations') ?? []).has('@stdlib/math-base-special-gammainc')).toBe(true);
  }, 120_000);

  it('bundles only the semver functions Vigil uses, and croner rather than cron-parser and luxon', async () => {
    const all = await bundles;
    for (const [name, inputs] of all) {
      expect(
        inputs.filter((input) => /node_modules\/semver\/(index|classes\/range|ranges\/)/.test(input)),
        name,
      ).toEqual([]);
      const packages = packagesOf(inputs);
      expect(packages.has('cron-parser') || packages.has('luxon'), name).toBe(false);
    }
    expect(packagesOf(all.get('registry') ?? []).has('croner')).toBe(true);
  }, 120_000);
});
