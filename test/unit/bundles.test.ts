import * as path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundling } from '#lib/bundling';
import { type FunctionId, functionCatalog } from '#lib/functions';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/**
 * The files each function's minified bundle keeps code of, with the bytes each adds, as esbuild
 * bundles them with the deploy options (one build for all of them: each module is parsed once).
 */
async function bundledInputs(): Promise<Map<FunctionId, Map<string, number>>> {
  const result = await build({
    entryPoints: Object.fromEntries(
      Object.entries(functionCatalog).map(([name, fn]) => [name, path.join(repoRoot, fn.entry)]),
    ),
    bundle: true,
    write: false,
    outdir: 'out',
    platform: 'node',
    format: 'esm',
    target: bundling.target,
    minify: true,
    mainFields: [...bundling.mainFields],
    metafile: true,
    logLevel: 'silent',
  });
  const bundles = new Map<FunctionId, Map<string, number>>();
  for (const [outfile, output] of Object.entries(result.metafile.outputs)) {
    if (!outfile.endsWith('.js')) continue;
    const inputs = new Map<string, number>();
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      if (bytesInOutput > 0) inputs.set(input, bytesInOutput);
    }
    bundles.set(path.basename(outfile, '.js') as FunctionId, inputs);
  }
  return bundles;
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
  const built = bundledInputs();
  const bundles = built.then(
    (all) => new Map([...all].map(([name, inputs]) => [name, [...inputs.keys()]] as const)),
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

  it("bundles zod/mini with zod's English messages alone in every function: no classic build, no other locale", async () => {
    const all = await built;
    for (const [name, inputs] of all) {
      const zod = new Map<string, number>();
      for (const [input, bytes] of inputs) {
        const at = input.lastIndexOf('node_modules/zod/');
        if (at >= 0) zod.set(input.slice(at + 'node_modules/zod/'.length), bytes);
      }
      const files = [...zod.keys()];
      if (files.length === 0) continue; // validates nothing (health, authorizer, ...)
      expect(files, name).toContain('v4/mini/schemas.js');
      expect(files, name).toContain('v4/locales/en.js');
      expect(
        files.filter((file) => file.includes('/classic/')),
        name,
      ).toEqual([]);
      // A named import of the schemas namespace (`import { z }`) would bring every locale.
      expect(
        files.filter((file) => file.startsWith('v4/locales/') && file !== 'v4/locales/en.js'),
        name,
      ).toEqual([]);
      // What tree-shaking leaves of zod: the checks the schemas use, far below the whole library.
      const bytes = [...zod.values()].reduce((sum, b) => sum + b, 0);
      expect(bytes, name).toBeLessThan(80 * 1024);
    }
    expect([...(all.get('ingest')?.keys() ?? [])].some((input) => input.includes('node_modules/zod/'))).toBe(
      true,
    );
  }, 120_000);
});
