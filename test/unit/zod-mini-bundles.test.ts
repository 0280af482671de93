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
async function bundledZodFiles(): Promise<Map<string, Map<string, number>>> {
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
  const files = new Map<string, Map<string, number>>();
  for (const [outfile, output] of Object.entries(result.metafile.outputs)) {
    if (!outfile.endsWith('.js')) continue;
    const zodFiles = new Map<string, number>();
    for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
      const at = file.lastIndexOf('node_modules/zod/');
      if (at >= 0 && bytesInOutput > 0)
        zodFiles.set(file.slice(at + 'node_modules/zod/'.length), bytesInOutput);
    }
    files.set(path.basename(outfile, '.js'), zodFiles);
  }
  return files;
}

describe('cold starts: the schema library in every function', () => {
  it('answers in English', () => {
    const result = z.safeParse(z.object({ name: z.string().check(z.minLength(1)) }), { name: '' });
    expect(result.error?.issues[0]?.message).toBe('Too small: expected string to have >=1 characters');
  });

  it("bundles zod/mini with zod's English messages alone in every function: no classic build, no other locale", async () => {
    const bundles = await bundledZodFiles();
    expect([...bundles.keys()].sort()).toEqual(Object.keys(functionCatalog).sort());
    for (const [name, modules] of bundles) {
      const files = [...modules.keys()];
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
      const bytes = [...modules.values()].reduce((sum, b) => sum + b, 0);
      expect(bytes, name).toBeLessThan(80 * 1024);
    }
    expect(bundles.get('ingest')?.size, 'ingest validates with zod').toBeGreaterThan(0);
  }, 120_000);
});
