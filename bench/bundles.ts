/**
 * bench/bundles: for every Lambda function the stack deploys, built as it deploys (split ES
 * module chunks), the minified bytes Node.js loads at a cold start (the entry chunk and the
 * chunks it imports statically, transitively), the bytes of every chunk the function can load
 * (what `await import(...)` brings as well), and the module initialisation time in a fresh
 * Node.js process (median of 5 rounds, or `BENCH_ROUNDS`), next to the same figures for an
 * empty module and for a reference handler (the AWS SDK v3 DynamoDBClient with one
 * GetItemCommand, bundled with the same options), with each function's ratio to the
 * reference (a time ratio is the median over rounds of the function's time divided by the
 * reference's in the same round), the packages that weigh most in what it loads at start, and the extra time the
 * first call of each of its rare paths takes (an AWS client, opening an incident...: the lazy
 * chunk of Vigil's module it imports with `await import(...)`, imported after the start, in the
 * same process), and what the first error a function logs costs to map its stack to the sources
 * (`functions/commons/powertools/stack-map.ts`: the maps of its chunks at start read and parsed,
 * Node.js runs without `--enable-source-maps`). Run: `npm run bench:bundles` (`BENCH_METAFILE=dir` also writes esbuild's
 * metafile of each bundle there, for https://esbuild.github.io/analyze/).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { buildOptions, chunksAtStart, ENTRY_FILE } from '../lib/bundling.ts';
import { functionCatalog } from '../lib/functions.ts';

/** Rounds; `BENCH_ROUNDS` asks for more on a busy machine. */
const RUNS = Number(process.env.BENCH_ROUNDS ?? 5);
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

interface Timing {
  wall: number;
  cpu: number;
  /** Milliseconds of each lazy chunk's import after the start, in order. */
  lazy: number[];
  /**
   * Milliseconds (wall clock and CPU) to map the stacks of a first error, after the lazy chunks
   * (the mapper's among them): one in the entry chunk alone, then one in every other chunk.
   */
  firstError?: { wall: number; cpu: number }[];
}

/**
 * The mapper's lazy chunk and two stacks: one frame in the entry chunk, then one frame in each
 * other chunk loaded at start (whose maps the first has not read).
 */
interface ErrorProbe {
  mapper: string;
  stacks: [string, string];
}

/**
 * Milliseconds to import `file` in a fresh process, as Lambda's init phase would: wall-clock
 * time, and the CPU time (user + system) the process spent on it, which a busy machine
 * disturbs far less. Then, in the same process, the wall-clock time of importing each of
 * `lazy` in turn, as a first call of a rare path would (code they share counts in the first).
 */
function initTime(file: string, lazy: readonly string[], error?: ErrorProbe): Timing {
  // The first error: every frame of the stack names a chunk whose map is read and parsed then.
  const mapError = error
    ? `const { mapErrorStacks } = await import(${JSON.stringify(error.mapper)}); firstError = []; for (const stack of ${JSON.stringify(error.stacks)}) { const e = new Error('bench'); e.stack = stack; const m = performance.now(); const mc = process.cpuUsage(); mapErrorStacks(e); const mu = process.cpuUsage(mc); firstError.push({ wall: performance.now() - m, cpu: (mu.user + mu.system) / 1000 }); if (e.stack === stack) throw new Error('no frame mapped'); }`
    : '';
  const probe = `const t = performance.now(); const c = process.cpuUsage(); await import(${JSON.stringify(file)}); const u = process.cpuUsage(c); const wall = performance.now() - t; const lazy = []; for (const chunk of ${JSON.stringify(lazy)}) { const l = performance.now(); await import(chunk); lazy.push(performance.now() - l); } let firstError; ${mapError} process.stdout.write(JSON.stringify({ wall, cpu: (u.user + u.system) / 1000, lazy, firstError }));`;
  // As deployed: no NODE_OPTIONS, so no source map is read at start.
  const { NODE_OPTIONS: _, ...environment } = process.env;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe], {
    env: { ...environment, ...lambdaEnvironment },
    encoding: 'utf8',
  });
  return JSON.parse(out) as Timing;
}

/** The reference: what any handler that reads one DynamoDB item needs at the least. */
const referenceSource = `import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
const client = new DynamoDBClient({});
export const handler = async (event) =>
  client.send(new GetItemCommand({ TableName: process.env.TELEMETRY_TABLE, Key: { pk: { S: event.pk } } }));
`;

interface Row {
  name: string;
  /** The entry chunk. */
  file: string;
  /** Minified bytes loaded at start: the entry chunk and its static imports, transitively. */
  bytes: number;
  /** The same chunks, gzipped one by one. */
  gzip: number;
  /** Minified bytes of every chunk the function can load. */
  allBytes: number;
  initMs: number;
  cpuMs: number;
  /** Median over rounds of the round's time divided by the reference's in the same round. */
  initRatio: number;
  cpuRatio: number;
  /** The rare paths' lazy chunks: Vigil's modules imported with `await import(...)`, not loaded at start. */
  lazy: { name: string; file: string; ms: number }[];
  /** The heaviest packages (or Vigil's own code, `functions/`) loaded at start, by output bytes. */
  top?: [string, number][];
  /** A first error's stacks: a frame in the entry chunk, then a frame in each other chunk at start. */
  errorStacks?: [string, string];
  /** Chunks at start, whose maps a first error naming all of them reads. */
  mapsAtStart?: number;
  /** Median milliseconds (wall, CPU) to map the entry chunk's frame, and then the others' too. */
  firstError?: { entry: { wall: number; cpu: number }; all: { wall: number; cpu: number } };
}

const TOP = 4;

/** Output bytes per package (`@scope/name`, `name`) or, for Vigil's own code, per top folder. */
function contributors(metafile: Metafile, outputs: readonly string[]): [string, number][] {
  const byOwner = new Map<string, number>();
  for (const output of outputs) {
    for (const [input, { bytesInOutput }] of Object.entries(metafile.outputs[output]?.inputs ?? {})) {
      const owner = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1] ?? input.split('/')[0] ?? input;
      byOwner.set(owner, (byOwner.get(owner) ?? 0) + bytesInOutput);
    }
  }
  return [...byOwner].sort((a, b) => b[1] - a[1]);
}

const metafileDir = process.env.BENCH_METAFILE ? path.resolve(process.env.BENCH_METAFILE) : undefined;

/** Bundles `entry` as it deploys; its init time is measured later, with the others. */
async function bundle(name: string, entry: string, dir: string): Promise<Row> {
  const outdir = path.join(dir, name);
  const result = await build({ ...buildOptions(entry, outdir), absWorkingDir: repoRoot, metafile: true });
  const { metafile } = result;
  if (metafileDir) {
    await mkdir(metafileDir, { recursive: true });
    await writeFile(path.join(metafileDir, `${name}.json`), JSON.stringify(metafile));
  }
  // The metafile names outputs relative to the working directory.
  const code = (output: string) => readFileSync(path.resolve(repoRoot, output));
  const chunks = Object.keys(metafile.outputs).filter((output) => output.endsWith('.mjs'));
  const entryOutput = chunks.find(
    (output) => path.resolve(repoRoot, output) === path.join(outdir, ENTRY_FILE),
  );
  if (!entryOutput) throw new Error(`No ${ENTRY_FILE} in the bundle of ${name}`);
  const atStart = chunksAtStart(metafile, entryOutput);
  const loadedAtStart = new Set(
    atStart.flatMap((output) => Object.keys(metafile.outputs[output]?.inputs ?? {})),
  );
  // A module that a function imports at start too is no rare path of that function.
  const lazy = chunks.flatMap((output) => {
    const entryPoint = metafile.outputs[output]?.entryPoint ?? '';
    const module = /^functions\/commons\/(.+)\.ts$/.exec(entryPoint)?.[1];
    return module && !loadedAtStart.has(entryPoint)
      ? [{ name: module, file: path.resolve(repoRoot, output), ms: 0 }]
      : [];
  });
  // One frame in the middle of each chunk's code (its first line is the banner).
  // The entry chunk first.
  const frames = [entryOutput, ...atStart.filter((output) => output !== entryOutput)].map((output) => {
    const code = readFileSync(path.resolve(repoRoot, output), 'utf8').split('\n')[1] ?? '';
    return `    at f (${pathToFileURL(path.resolve(repoRoot, output)).href}:2:${Math.ceil(code.length / 2)})`;
  });
  return {
    name,
    file: path.join(outdir, ENTRY_FILE),
    errorStacks: [
      ['Error: bench', ...frames.slice(0, 1)].join('\n'),
      ['Error: bench', ...frames.slice(1)].join('\n'),
    ],
    mapsAtStart: atStart.length,
    bytes: atStart.reduce((sum, output) => sum + code(output).length, 0),
    gzip: atStart.reduce((sum, output) => sum + gzipSync(code(output)).length, 0),
    allBytes: chunks.reduce((sum, output) => sum + code(output).length, 0),
    initMs: 0,
    cpuMs: 0,
    initRatio: 0,
    cpuRatio: 0,
    lazy,
    top: contributors(metafile, atStart).slice(0, TOP),
  };
}

/** The mapper's lazy chunk in a function's bundle and the stack of its first error; none elsewhere. */
function errorProbe(row: Row): ErrorProbe | undefined {
  const mapper = row.lazy.find((chunk) => chunk.name === 'powertools/stack-map');
  return mapper && row.errorStacks ? { mapper: mapper.file, stacks: row.errorStacks } : undefined;
}

const ratio = (value: number, reference: number) => `${(value / reference).toFixed(2)}×`;

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

const dir = await mkdtemp(path.join(tmpdir(), 'vigil-bundles-'));
try {
  const empty = path.join(dir, 'empty.mjs');
  await writeFile(empty, 'export const handler = async () => ({});\n');
  const emptyBytes = (await stat(empty)).size;
  // The reference is bundled from inside the repository, so it resolves the project's SDK.
  const referenceEntry = path.join(repoRoot, 'bench', '.reference-handler.mjs');
  await writeFile(referenceEntry, referenceSource);
  let reference: Row;
  try {
    reference = await bundle('(reference)', referenceEntry, dir);
  } finally {
    await rm(referenceEntry, { force: true });
  }
  const rows: Row[] = [
    {
      name: '(empty module)',
      file: empty,
      bytes: emptyBytes,
      gzip: 0,
      allBytes: emptyBytes,
      initMs: 0,
      cpuMs: 0,
      initRatio: 0,
      cpuRatio: 0,
      lazy: [],
    },
    reference,
  ];
  for (const [name, definition] of Object.entries(functionCatalog)) {
    rows.push(await bundle(name, path.join(repoRoot, definition.entry), dir));
  }
  // Round robin: each round imports every module once, so a busy machine slows all alike.
  const times = rows.map(() => [] as Timing[]);
  for (let round = 0; round < RUNS; round++) {
    for (const [i, row] of rows.entries())
      times[i]?.push(
        initTime(
          row.file,
          row.lazy.map((chunk) => chunk.file),
          errorProbe(row),
        ),
      );
  }
  // A round's ratio divides by the reference's time in that same round: the reference's own spread
  // between rounds (±20% on a shared machine) then cancels instead of moving every ratio at once.
  const referenceTimes = times[rows.indexOf(reference)] ?? [];
  const pairedRatio = (timings: Timing[], of: (timing: Timing) => number) =>
    median(timings.map((t, round) => of(t) / of(referenceTimes[round] as Timing)));
  rows.forEach((row, i) => {
    const timings = times[i] ?? [];
    row.initMs = median(timings.map((t) => t.wall));
    row.cpuMs = median(timings.map((t) => t.cpu));
    row.initRatio = pairedRatio(timings, (t) => t.wall);
    row.cpuRatio = pairedRatio(timings, (t) => t.cpu);
    row.lazy.forEach((chunk, j) => {
      chunk.ms = median(timings.map((t) => t.lazy[j] ?? 0));
    });
    if (errorProbe(row)) {
      const of = (stages: number, time: 'wall' | 'cpu') =>
        median(
          timings.map((t) =>
            (t.firstError ?? []).slice(0, stages).reduce((sum, stage) => sum + stage[time], 0),
          ),
        );
      row.firstError = {
        entry: { wall: of(1, 'wall'), cpu: of(1, 'cpu') },
        all: { wall: of(2, 'wall'), cpu: of(2, 'cpu') },
      };
    }
  });

  console.log(
    `Node.js ${process.version}, ${RUNS} rounds of one fresh process per module, no NODE_OPTIONS (no --enable-source-maps: stacks are mapped when an error is logged)`,
  );
  console.log('at start = the entry chunk and the chunks it imports statically: what a cold start loads');
  console.log(
    `${'function'.padEnd(20)} ${'at start'.padStart(10)} ${'gzip'.padStart(10)} ${'all chunks'.padStart(11)} ${'init (median)'.padStart(14)} ${'init CPU'.padStart(10)} ${'size/ref'.padStart(9)} ${'init/ref'.padStart(9)} ${'CPU/ref'.padStart(8)}`,
  );
  for (const row of rows) {
    console.log(
      `${row.name.padEnd(20)} ${kib(row.bytes).padStart(10)} ${(row.gzip ? kib(row.gzip) : '-').padStart(10)} ${kib(
        row.allBytes,
      ).padStart(11)} ${`${row.initMs.toFixed(1)} ms`.padStart(14)} ${`${row.cpuMs.toFixed(1)} ms`.padStart(
        10,
      )} ${ratio(row.bytes, reference.bytes).padStart(9)} ${`${row.initRatio.toFixed(2)}×`.padStart(
        9,
      )} ${`${row.cpuRatio.toFixed(2)}×`.padStart(8)}`,
    );
  }
  console.log(`\nHeaviest parts loaded at start (KiB of minified output; functions = Vigil's own code):`);
  for (const row of rows) {
    if (!row.top?.length) continue;
    console.log(
      `${row.name.padEnd(20)} ${row.top.map(([owner, bytes]) => `${owner} ${(bytes / 1024).toFixed(0)}`).join(', ')}`,
    );
  }
  console.log(
    '\nFirst call of a rare path (an AWS client, incident opening...): its lazy chunk imported after the start (median wall-clock; code two chunks share counts in the first):',
  );
  for (const row of rows) {
    if (row.lazy.length === 0) continue;
    console.log(
      `${row.name.padEnd(20)} ${row.lazy.map((chunk) => `${chunk.name} +${chunk.ms.toFixed(1)} ms`).join(', ')}`,
    );
  }
  console.log(
    "\nFirst error logged: its stack mapped to the sources, the maps of the chunks its frames name read and parsed (medians, wall clock and CPU, after the mapper's chunk above), for a stack in the entry chunk alone and for one in every chunk loaded at start:",
  );
  for (const row of rows) {
    const first = row.firstError;
    if (!first) continue;
    const ms = ({ wall, cpu }: { wall: number; cpu: number }) =>
      `+${wall.toFixed(1)} ms (CPU ${cpu.toFixed(1)} ms)`;
    console.log(
      `${row.name.padEnd(20)} entry chunk ${ms(first.entry)}, all ${row.mapsAtStart} chunks ${ms(first.all)}`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
