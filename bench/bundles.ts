/**
 * bench/bundles: for every Lambda function the stack deploys, the minified bundle size and the
 * module initialisation time in a fresh Node.js process (median of 5 rounds), next to the same
 * figures for an empty module and for a reference handler (the AWS SDK v3 DynamoDBClient with
 * one GetItemCommand, bundled with the same options), with each function's ratio to the
 * reference, and the packages that weigh most in each bundle. Run: `npm run bench:bundles`
 * (`BENCH_METAFILE=dir` also writes esbuild's metafile of each bundle there, for
 * https://esbuild.github.io/analyze/).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { bundling } from '../lib/bundling.ts';
import { functionCatalog } from '../lib/functions.ts';

const RUNS = 5;
const repoRoot = path.resolve(import.meta.dirname, '..');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/**
 * The environment the stack gives the functions, with placeholder values: module initialisation
 * reads it (and fails fast without it) but calls no AWS service.
 */
const lambdaEnvironment = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_SERVICE_NAME: 'vigil',
  POWERTOOLS_METRICS_NAMESPACE: 'Vigil',
  GOVERNANCE_TABLE: 'vigil-governance',
  TELEMETRY_TABLE: 'vigil-telemetry',
  ADMIN_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:admin',
  SIGNING_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:signing',
  NOTIFICATIONS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:notifications',
  STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:governance',
  PUBLIC_URL: 'https://api.example.com/v1',
  API_ID: 'abc123',
  API_STAGE: 'v1',
};

/**
 * Milliseconds to import `file` in a fresh process, as Lambda's init phase would: wall-clock
 * time, and the CPU time (user + system) the process spent on it, which a busy machine
 * disturbs far less.
 */
function initTime(file: string): { wall: number; cpu: number } {
  const probe = `const t = performance.now(); const c = process.cpuUsage(); await import(${JSON.stringify(file)}); const u = process.cpuUsage(c); process.stdout.write(JSON.stringify({ wall: performance.now() - t, cpu: (u.user + u.system) / 1000 }));`;
  const out = execFileSync(process.execPath, [bundling.nodeOptions, '--input-type=module', '-e', probe], {
    env: { ...process.env, ...lambdaEnvironment },
    encoding: 'utf8',
  });
  return JSON.parse(out) as { wall: number; cpu: number };
}

/** The reference: what any handler that reads one DynamoDB item needs at the least. */
const referenceSource = `import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
const client = new DynamoDBClient({});
export const handler = async (event) =>
  client.send(new GetItemCommand({ TableName: process.env.TELEMETRY_TABLE, Key: { pk: { S: event.pk } } }));
`;

interface Row {
  name: string;
  bytes: number;
  gzip: number;
  initMs: number;
  cpuMs: number;
  /** The heaviest packages (or Vigil's own code, `functions/`) in the bundle, by output bytes. */
  top?: [string, number][];
}

const TOP = 4;

/** Output bytes per package (`@scope/name`, `name`) or, for Vigil's own code, per top folder. */
function contributors(metafile: Metafile): [string, number][] {
  const byOwner = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const owner = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1] ?? input.split('/')[0] ?? input;
      byOwner.set(owner, (byOwner.get(owner) ?? 0) + bytesInOutput);
    }
  }
  return [...byOwner].sort((a, b) => b[1] - a[1]);
}

const metafileDir = process.env.BENCH_METAFILE ? path.resolve(process.env.BENCH_METAFILE) : undefined;

/** Bundles `entry` with the project's options; its init time is measured later, with the others. */
async function bundle(name: string, entry: string, dir: string): Promise<Row & { file: string }> {
  const outfile = path.join(dir, name, 'index.mjs');
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: bundling.target,
    minify: bundling.minify,
    sourcemap: bundling.sourceMap,
    sourcesContent: bundling.sourcesContent,
    mainFields: [...bundling.mainFields],
    banner: { js: bundling.banner },
    metafile: true,
    logLevel: 'warning',
  });
  if (metafileDir && result.metafile) {
    await mkdir(metafileDir, { recursive: true });
    await writeFile(path.join(metafileDir, `${name}.json`), JSON.stringify(result.metafile));
  }
  const code = readFileSync(outfile);
  const top = result.metafile ? contributors(result.metafile).slice(0, TOP) : [];
  return { name, file: outfile, bytes: code.length, gzip: gzipSync(code).length, initMs: 0, cpuMs: 0, top };
}

const ratio = (value: number, reference: number) => `${(value / reference).toFixed(2)}×`;

const dir = await mkdtemp(path.join(tmpdir(), 'vigil-bundles-'));
try {
  const empty = path.join(dir, 'empty.mjs');
  await writeFile(empty, 'export const handler = async () => ({});\n');
  // The reference is bundled from inside the repository, so it resolves the project's SDK.
  const referenceEntry = path.join(repoRoot, 'bench', '.reference-handler.mjs');
  await writeFile(referenceEntry, referenceSource);
  let reference: Row & { file: string };
  try {
    reference = await bundle('(reference)', referenceEntry, dir);
  } finally {
    await rm(referenceEntry, { force: true });
  }
  const rows: (Row & { file: string })[] = [
    { name: '(empty module)', file: empty, bytes: (await stat(empty)).size, gzip: 0, initMs: 0, cpuMs: 0 },
    reference,
  ];
  for (const [name, definition] of Object.entries(functionCatalog)) {
    rows.push(await bundle(name, path.join(repoRoot, definition.entry), dir));
  }
  // Round robin: each round imports every module once, so a busy machine slows all alike.
  const times = rows.map(() => [] as { wall: number; cpu: number }[]);
  for (let round = 0; round < RUNS; round++) {
    for (const [i, row] of rows.entries()) times[i]?.push(initTime(row.file));
  }
  rows.forEach((row, i) => {
    row.initMs = median((times[i] ?? []).map((t) => t.wall));
    row.cpuMs = median((times[i] ?? []).map((t) => t.cpu));
  });

  console.log(
    `Node.js ${process.version}, ${RUNS} rounds of one fresh process per module, NODE_OPTIONS=${bundling.nodeOptions}`,
  );
  console.log(
    `${'function'.padEnd(20)} ${'minified'.padStart(10)} ${'gzip'.padStart(10)} ${'init (median)'.padStart(14)} ${'init CPU'.padStart(10)} ${'size/ref'.padStart(9)} ${'init/ref'.padStart(9)} ${'CPU/ref'.padStart(8)}`,
  );
  for (const row of rows) {
    console.log(
      `${row.name.padEnd(20)} ${`${(row.bytes / 1024).toFixed(1)} KiB`.padStart(10)} ${
        row.gzip ? `${(row.gzip / 1024).toFixed(1)} KiB`.padStart(10) : '-'.padStart(10)
      } ${`${row.initMs.toFixed(1)} ms`.padStart(14)} ${`${row.cpuMs.toFixed(1)} ms`.padStart(10)} ${ratio(
        row.bytes,
        reference.bytes,
      ).padStart(
        9,
      )} ${ratio(row.initMs, reference.initMs).padStart(9)} ${ratio(row.cpuMs, reference.cpuMs).padStart(8)}`,
    );
  }
  console.log(`\nHeaviest parts of each bundle (KiB of minified output; functions = Vigil's own code):`);
  for (const row of rows) {
    if (!row.top?.length) continue;
    console.log(
      `${row.name.padEnd(20)} ${row.top.map(([owner, bytes]) => `${owner} ${(bytes / 1024).toFixed(0)}`).join(', ')}`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
