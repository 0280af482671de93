/**
 * Drift statistics on 1,000,000 vs 1,000,000 values: Vigil against SciPy/NumPy in the same run.
 *
 *   npx tsx bench/drift.ts [--n 1000000] [--repeats 5] [--python /usr/bin/python3]
 *
 * For two seeded scenarios (the same distribution, and a shift of 0.01 standard deviations,
 * which puts SciPy's asymptotic KS p-value on its `smirnov` path), it times, as medians of
 * several runs on data already in memory: KS (`ks_2samp`, sorting included), Wasserstein
 * (`wasserstein_distance`) and the binned statistics (10 reference-quantile bins; PSI, KL,
 * Jensen–Shannon, Hellinger). Vigil runs them as `vigil drift` does on the columns it parsed:
 * sorting (or partitioning) arrays it owns in place, so each run starts from a fresh copy of the
 * data, made before its timer starts. When /usr/bin/python3 has SciPy, bench/drift_scipy.py times the
 * same work on the same float64 data (written to a temporary file; loading is not timed); when it
 * has not, the benchmark says so and how to install it (`apt-get install python3-scipy`). Vigil's
 * peak memory is measured in a fresh child process that runs only the Vigil computations (the
 * four above, one after another, on the data it generated), from
 * this file bundled by esbuild and run by plain Node.js, as Lambda runs it (under tsx, the
 * TypeScript loader alone adds about 30 MB).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { binnedComparisonInPlace } from '#drift/binned';
import { ks2sampInPlace } from '#drift/ks';
import { compareNumericalInPlace, wassersteinInPlace } from '#drift/numerical';
import { checkScipy, DEFAULT_PYTHON } from './scipy.ts';

const BINS = 10;

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '1000000' },
    repeats: { type: 'string', default: '5' },
    child: { type: 'string' },
    python: { type: 'string', default: DEFAULT_PYTHON },
  },
});
const n = Number(args.n);
/** Only the parent bundles; the bundled child does not load esbuild. */
const esbuild = args.child === undefined ? await import('esbuild') : undefined;
const repeats = Number(args.repeats);
const PYTHON = args.python;

interface Scenario {
  name: string;
  seed: number;
  shift: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'same distribution', seed: 42, shift: 0 },
  { name: 'shifted by 0.01 sd', seed: 43, shift: 0.01 },
];

/** Seeded standard normal samples (mulberry32 and Box–Muller). */
function normalSample(count: number, seed: number, shift: number): Float64Array {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = shift + Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  }
  return out;
}

function data(scenario: Scenario): { reference: Float64Array; current: Float64Array } {
  return {
    reference: normalSample(n, scenario.seed, 0),
    current: normalSample(n, scenario.seed + 1000, scenario.shift),
  };
}

/** The binned statistics as the spec defines them, from unsorted samples. */
function binned(reference: Float64Array, current: Float64Array) {
  return binnedComparisonInPlace(reference, current, BINS).stats;
}

/**
 * The median time of `fn` on the samples, which it may reorder. With `fresh`, every run gets
 * its own copies, made before its timer starts; without, the runs share the arrays (the child
 * measuring memory, where copies would be counted).
 */
function timed<T>(
  reference: Float64Array,
  current: Float64Array,
  fn: (reference: Float64Array, current: Float64Array) => T,
  fresh: boolean,
): { ms: number; value: T } {
  const times: number[] = [];
  let value: T | undefined;
  for (let i = 0; i < repeats; i++) {
    const r = fresh ? reference.slice() : reference;
    const c = fresh ? current.slice() : current;
    const start = performance.now();
    value = fn(r, c);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)] as number, value: value as T };
}

function runVigil(reference: Float64Array, current: Float64Array, fresh = true) {
  return {
    ks: timed(reference, current, ks2sampInPlace, fresh),
    wasserstein: timed(reference, current, wassersteinInPlace, fresh),
    binned: timed(reference, current, binned, fresh),
    all: timed(reference, current, (r, c) => compareNumericalInPlace(r, c, BINS), fresh),
  };
}

interface ScipyResult {
  scipy: string;
  numpy: string;
  ms: { ks: number; wasserstein: number; binned: number };
  values: { ks: { statistic: number; pValue: number }; wasserstein: number } & Record<string, unknown>;
}

function runScipy(reference: Float64Array, current: Float64Array): ScipyResult {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  try {
    const file = join(dir, 'data.f64');
    const bytes = new Float64Array(2 * n);
    bytes.set(reference, 0);
    bytes.set(current, n);
    writeFileSync(file, new Uint8Array(bytes.buffer));
    const script = join(import.meta.dirname, 'drift_scipy.py');
    const run = spawnSync(PYTHON, [script, file, String(n), String(BINS), String(repeats)], {
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`drift_scipy.py failed: ${run.stderr}`);
    return JSON.parse(run.stdout) as ScipyResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * This process's peak resident set, in MB. On Linux it is `VmHWM` from /proc/self/status:
 * `getrusage`'s `ru_maxrss` (`process.resourceUsage().maxRSS`) survives `execve`, so a child
 * forked from this benchmark would report the parent's resident set as its own peak whenever
 * the parent's was larger. Elsewhere, `maxRSS` it is, with that caveat.
 */
function peakRssOfThisProcessMb(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** Peak RSS of a fresh process that only generates the data and runs Vigil's statistics. */
function peakRssMb(scenario: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  try {
    const bundle = join(dir, 'drift.mjs');
    esbuild?.buildSync({
      entryPoints: [import.meta.filename],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'esm',
      external: ['esbuild'],
      logLevel: 'warning',
    });
    const run = spawnSync(
      process.execPath,
      [bundle, '--child', scenario, '--n', String(n), '--repeats', '1'],
      { encoding: 'utf8' },
    );
    if (run.status !== 0) throw new Error(`child failed: ${run.stderr}`);
    return Number(run.stdout.trim());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const pad = (text: string, width: number) => text.padStart(width);
const ms = (x: number) => x.toFixed(0);

if (args.child !== undefined) {
  const scenario = SCENARIOS.find((s) => s.name === args.child) as Scenario;
  const { reference, current } = data(scenario);
  runVigil(reference, current, false);
  process.stdout.write(`${peakRssOfThisProcessMb()}\n`);
} else {
  const scipyCheck = checkScipy(PYTHON);
  const withScipy = scipyCheck.available;
  if (!scipyCheck.available) console.error(scipyCheck.message);
  console.log(
    `Drift statistics, ${n.toLocaleString('en-US')} vs ${n.toLocaleString('en-US')} float64 values, ` +
      `median of ${repeats} runs (Node ${process.version}${withScipy ? '' : '; SciPy not found, Vigil only'})`,
  );
  for (const scenario of SCENARIOS) {
    const { reference, current } = data(scenario);
    const vigil = runVigil(reference, current);
    const scipy = withScipy ? runScipy(reference, current) : undefined;
    const rss = peakRssMb(scenario.name);
    console.log(
      `\n${scenario.name} (seed ${scenario.seed})${scipy ? `; SciPy ${scipy.scipy}, NumPy ${scipy.numpy}` : ''}`,
    );
    console.log(`${'statistic'.padEnd(34)}${pad('Vigil ms', 10)}${pad('SciPy ms', 10)}${pad('ratio', 8)}`);
    const row = (label: string, vigilMs: number, scipyMs?: number) =>
      console.log(
        `${label.padEnd(34)}${pad(ms(vigilMs), 10)}${pad(scipyMs === undefined ? '-' : ms(scipyMs), 10)}` +
          `${pad(scipyMs === undefined ? '-' : (vigilMs / scipyMs).toFixed(2), 8)}`,
      );
    row('KS (ks_2samp, sorts included)', vigil.ks.ms, scipy?.ms.ks);
    row('Wasserstein', vigil.wasserstein.ms, scipy?.ms.wasserstein);
    row(`binned, ${BINS} bins (psi/kl/js/hellinger)`, vigil.binned.ms, scipy?.ms.binned);
    row('all of them, one sort (Vigil)', vigil.all.ms);
    console.log(`Vigil peak RSS (fresh child process): ${rss.toFixed(0)} MB`);
    const ks = vigil.ks.value;
    console.log(`KS D = ${ks.statistic}, p = ${ks.pValue}; Wasserstein = ${vigil.wasserstein.value}`);
    if (scipy) {
      const diff = (a: number, b: number) => Math.abs(a - b).toExponential(1);
      console.log(
        `|Vigil − SciPy|: D ${diff(ks.statistic, scipy.values.ks.statistic)}, p ${diff(ks.pValue, scipy.values.ks.pValue)}, ` +
          `W ${diff(vigil.wasserstein.value, scipy.values.wasserstein)}, ` +
          `psi ${diff(vigil.binned.value.psi, scipy.values.psi as number)}, ` +
          `js ${diff(vigil.binned.value.jensenShannon, scipy.values.jensenShannon as number)}`,
      );
      const verdict = vigil.ks.ms <= scipy.ms.ks ? 'met' : 'NOT met';
      console.log(
        `Target KS time ≤ SciPy's: ${verdict}; peak RSS < 120 MB: ${rss < 120 ? 'met' : 'NOT met'}`,
      );
    }
  }
}
