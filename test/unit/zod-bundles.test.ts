import * as path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundling } from '#lib/bundling';
import { functionCatalog } from '#lib/functions';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/** The zod modules of a function's minified bundle, with the bytes each adds to it. */
async function zodModules(name: keyof typeof functionCatalog): Promise<Map<string, number>> {
  const result = await build({
    entryPoints: [path.join(repoRoot, functionCatalog[name].entry)],
    bundle: true,
    write: false,
    outfile: 'out/index.mjs',
    platform: 'node',
    format: 'esm',
    target: bundling.target,
    minify: true,
    mainFields: [...bundling.mainFields],
    metafile: true,
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined);
  const modules = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const match = /node_modules\/zod\/(.+)$/.exec(input);
    if (match?.[1] && bytesInOutput > 0) modules.set(match[1], bytesInOutput);
  }
  return modules;
}

describe('cold starts: the schema library in the ingest and registry functions', () => {
  it('bundles zod/mini with the English messages only: no classic build, no other locale', async () => {
    for (const name of ['ingest', 'registry'] as const) {
      const modules = await zodModules(name);
      const files = [...modules.keys()];
      expect(files, name).toContain('v4/mini/schemas.js');
      expect(files, name).toContain('v4/locales/en.js');
      expect(
        files.filter((file) => file.includes('/classic/')),
        name,
      ).toEqual([]);
      expect(
        files.filter((file) => file.startsWith('v4/locales/') && file !== 'v4/locales/en.js'),
        name,
      ).toEqual([]);
      // What tree-shaking leaves of zod: the checks the schemas use, far below the whole library.
      const bytes = [...modules.values()].reduce((sum, b) => sum + b, 0);
      expect(bytes, name).toBeLessThan(64 * 1024);
    }
  }, 60_000);
});
