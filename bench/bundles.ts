/**
 * bench/bundles: for every Lambda function the stack deploys, the minified bundle size and the
 * module initialisation time in a fresh Node.js process (median of 5 runs), next to the same
 * figure for an empty module. Run: `npm run bench:bundles`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { bundling } from '../lib/bundling.ts';
import { functionCatalog } from '../lib/functions.ts';

const RUNS = 5;
const repoRoot = path.resolve(import.meta.dirname, '..');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Milliseconds to import `file` in a fresh process, as Lambda's init phase would (median of RUNS). */
function initTime(file: string): number {
  const probe = `const t = performance.now(); await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const out = execFileSync(process.execPath, [bundling.nodeOptions, '--input-type=module', '-e', probe], {
      env: {
        ...process.env,
        AWS_REGION: 'us-east-1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      encoding: 'utf8',
    });
    times.push(Number(out));
  }
  return median(times);
}

const dir = await mkdtemp(path.join(tmpdir(), 'vigil-bundles-'));
try {
  const empty = path.join(dir, 'empty.mjs');
  await writeFile(empty, 'export const handler = async () => ({});\n');
  const rows: { name: string; bytes: number; gzip: number; initMs: number }[] = [
    { name: '(empty module)', bytes: (await stat(empty)).size, gzip: 0, initMs: initTime(empty) },
  ];
  for (const [name, definition] of Object.entries(functionCatalog)) {
    const outfile = path.join(dir, name, 'index.mjs');
    await build({
      entryPoints: [path.join(repoRoot, definition.entry)],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: bundling.target,
      minify: bundling.minify,
      sourcemap: bundling.sourceMap,
      mainFields: [...bundling.mainFields],
      banner: { js: bundling.banner },
      logLevel: 'warning',
    });
    const code = readFileSync(outfile);
    rows.push({ name, bytes: code.length, gzip: gzipSync(code).length, initMs: initTime(outfile) });
  }

  console.log(
    `Node.js ${process.version}, ${RUNS} fresh processes per module, NODE_OPTIONS=${bundling.nodeOptions}`,
  );
  console.log(
    `${'function'.padEnd(20)} ${'minified'.padStart(10)} ${'gzip'.padStart(10)} ${'init (median)'.padStart(14)}`,
  );
  for (const row of rows) {
    console.log(
      `${row.name.padEnd(20)} ${`${(row.bytes / 1024).toFixed(1)} KiB`.padStart(10)} ${
        row.gzip ? `${(row.gzip / 1024).toFixed(1)} KiB`.padStart(10) : '-'.padStart(10)
      } ${`${row.initMs.toFixed(1)} ms`.padStart(14)}`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
