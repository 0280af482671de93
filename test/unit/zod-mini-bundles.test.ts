import * as path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import * as z from '#commons/zod';
import { bundling } from '#lib/bundling';
import { functionCatalog } from '#lib/functions';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/**
 * The zod files each function's bundle keeps code of, as esbuild bundles it for deployment (one
 * build for all of them: each module is parsed once).
 */
async function bundledZodFiles(): Promise<Map<string, string[]>> {
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
    mainFields: [...bundling.mainFields],
    metafile: true,
    logLevel: 'silent',
  });
  const files = new Map<string, string[]>();
  for (const [outfile, output] of Object.entries(result.metafile.outputs)) {
    if (!outfile.endsWith('.js')) continue;
    const zodFiles = Object.entries(output.inputs)
      .filter(([file, input]) => input.bytesInOutput > 0 && file.includes('node_modules/zod/'))
      .map(([file]) => file.slice(file.lastIndexOf('node_modules/zod/') + 'node_modules/zod/'.length));
    files.set(path.basename(outfile, '.js'), zodFiles);
  }
  return files;
}

describe('cold starts: the schema library in every function', () => {
  it('answers in English', () => {
    const result = z.safeParse(z.object({ name: z.string().check(z.minLength(1)) }), { name: '' });
    expect(result.error?.issues[0]?.message).toBe('Too small: expected string to have >=1 characters');
  });

  it("keeps only zod's English locale in every function, and no classic build in those that validate with zod/mini alone", async () => {
    const bundles = await bundledZodFiles();
    expect([...bundles.keys()].sort()).toEqual(Object.keys(functionCatalog).sort());
    for (const [name, files] of bundles) {
      // A named import of the schemas namespace (`import { z }`) would bring every locale.
      const locales = files.filter((file) => file.startsWith('v4/locales/'));
      expect(
        locales.every((file) => file === 'v4/locales/en.js'),
        `${name}: ${locales.join(', ')}`,
      ).toBe(true);
    }
    for (const name of ['evidence', 'workflowApproval']) {
      const files = bundles.get(name) ?? [];
      expect(
        files.some((file) => file.startsWith('v4/mini/')),
        name,
      ).toBe(true);
      expect(
        files.filter((file) => file.startsWith('v4/classic/')),
        name,
      ).toEqual([]);
    }
  }, 120_000);
});
