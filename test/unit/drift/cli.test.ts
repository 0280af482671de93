import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareDatasets } from '#drift/index';
import { main } from '../../../cli/main.ts';
import { prng } from './support.ts';

const ROOT = join(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'vigil-drift-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function vigil(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['cli/vigil.mjs', ...args],
      { cwd: ROOT, maxBuffer: 1 << 26 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const random = prng(31);
const csv = (header: string[], rows: unknown[][]) =>
  `${[header, ...rows].map((r) => r.join(',')).join('\n')}\n`;
const people = (n: number, ageShift: number, plans: string[]) =>
  Array.from({ length: n }, () => [(40 + ageShift + 10 * random.normal()).toFixed(2), random.pick(plans)]);
const reference = file('ref.csv', csv(['age', 'plan'], people(300, 0, ['basic', 'pro'])));
const same = file('same.csv', csv(['age', 'plan'], people(250, 0, ['basic', 'pro'])));
const drifted = file('drifted.csv', csv(['age', 'plan'], people(250, 15, ['basic', 'pro', 'pro', 'team'])));

/** One line on stderr, naming the command, and no stack trace. */
function expectOneLineError(run: Run, ...fragments: string[]) {
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(/^vigil drift: /);
  expect(run.stderr).not.toMatch(/\n\s+at |Error:/);
  for (const fragment of fragments) expect(run.stderr).toContain(fragment);
}

// Every case spawns the real CLI (node + tsx); they run a few at a time, hence the timeout.
describe.concurrent('vigil drift', { timeout: 30_000 }, () => {
  it('prints the spec JSON, paths and rows included, with full precision, and exits 0 without drift', async () => {
    // JSON is the default format.
    const run = await vigil('drift', '--reference', reference, '--current', same);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(Object.keys(report)).toEqual(['reference', 'current', 'columns', 'dataset']);
    expect(report.reference).toEqual({ path: reference, rows: 300 });
    expect(report.current).toEqual({ path: same, rows: 250 });
    expect(report.columns.map((c: { name: string }) => c.name)).toEqual(['age', 'plan']);
    const [age, plan] = report.columns;
    expect(Object.keys(age)).toEqual([
      'name',
      'type',
      'reference',
      'current',
      'method',
      'score',
      'threshold',
      'drifted',
      'stats',
    ]);
    expect(Object.keys(age.stats)).toEqual([
      'ks',
      'wasserstein',
      'wassersteinNormed',
      'psi',
      'kl',
      'jensenShannon',
      'hellinger',
    ]);
    expect(Object.keys(age.stats.ks)).toEqual(['statistic', 'pValue']);
    expect(Object.keys(plan.stats)).toEqual([
      'chiSquare',
      'psi',
      'kl',
      'jensenShannon',
      'hellinger',
      'newCategories',
      'missingCategories',
    ]);
    expect(Object.keys(plan.stats.chiSquare)).toEqual(['statistic', 'pValue', 'dof']);
    expect(Object.keys(report.dataset)).toEqual(['driftedColumns', 'columns', 'driftedShare', 'drifted']);
    // Same numbers as the library on the same cells, to the last bit.
    const rows = (path: string) =>
      readFileSync(path, 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => {
          const [a, p] = line.split(',');
          return { age: a, plan: p };
        });
    expect(report.columns).toEqual(compareDatasets(rows(reference), rows(same)).columns);
    expect(report.dataset.drifted).toBe(false);
  });

  it('exits 1 on dataset drift and prints a readable table with --format text', async () => {
    const run = await vigil('drift', '--reference', reference, '--current', drifted, '--format', 'text');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`Reference: ${reference} (300 rows)`);
    expect(run.stdout).toMatch(/^Column\s+Type\s+Method\s+Score\s+Threshold\s+Drift/m);
    expect(run.stdout).toMatch(/^age\s+numerical\s+ks\s+\S+\s+0\.05\s+DRIFT/m);
    expect(run.stdout).toContain('Dataset drift: YES (2 of 2 columns drifted, 100%).');
  });

  it('writes HTML to --output and reads JSON Lines by extension or content', async () => {
    const lines = (rows: string[][]) =>
      rows.map(([age, plan]) => JSON.stringify({ age: Number(age), plan })).join('\n');
    const jsonl = file('cur.jsonl', `${lines(people(100, 0, ['basic', 'pro']))}\n`);
    const bare = file('cur.data', lines(people(100, 0, ['basic', 'pro'])));
    const output = join(dir, 'report.html');
    const run = await vigil(
      'drift',
      '--reference',
      reference,
      '--current',
      jsonl,
      '--format',
      'html',
      '--output',
      output,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`Report written to ${output}.`);
    const html = readFileSync(output, 'utf8');
    expect(html.match(/<svg class="chart"/g)).toHaveLength(2);
    const byContent = await vigil('drift', '--reference', reference, '--current', bare, '--format', 'json');
    expect(JSON.parse(byContent.stdout).current.rows).toBe(100);
  });

  it('applies --columns, --column-type, --bins, --method and --drift-share', async () => {
    const run = await vigil(
      'drift',
      '--reference',
      reference,
      '--current',
      drifted,
      '--format',
      'json',
      '--columns',
      'age',
      '--column-type',
      'age=numerical',
      '--bins',
      '5',
      '--method',
      'age=psi:0.9',
      '--drift-share',
      '0.9',
    );
    const report = JSON.parse(run.stdout);
    expect(report.columns).toHaveLength(1);
    expect(report.columns[0]).toMatchObject({ name: 'age', method: 'psi', threshold: 0.9 });
    expect(run.code).toBe(report.dataset.drifted ? 1 : 0);
  });

  it('shows help with status 0', async () => {
    const run = await vigil('drift', '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: vigil drift --reference REF --current CUR');
    const top = await vigil('--help');
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('drift');
  });

  it('names a missing file', async () => {
    expectOneLineError(
      await vigil('drift', '--reference', join(dir, 'nope.csv'), '--current', same),
      'nope.csv: no such file',
    );
  });

  it('names an empty file and a header-only file', async () => {
    const empty = file('empty.csv', '');
    expectOneLineError(
      await vigil('drift', '--reference', empty, '--current', same),
      'empty.csv: the file is empty',
    );
    const header = file('header.csv', 'age,plan\n');
    expectOneLineError(
      await vigil('drift', '--reference', reference, '--current', header),
      'header.csv: the file has a header but no data rows',
    );
  });

  it('names the row of a ragged line', async () => {
    const ragged = file('ragged.csv', 'age,plan\n41,basic\n42\n43,pro\n');
    expectOneLineError(
      await vigil('drift', '--reference', reference, '--current', ragged),
      'ragged.csv: row 2 (line 3) has 1 field, the header has 2 fields',
    );
  });

  it('names the file, row and column of text in a column typed numerical', async () => {
    const text = file('text.csv', 'age,plan\n41,basic\n42,pro\nforty,pro\n');
    expectOneLineError(
      await vigil('drift', '--reference', reference, '--current', text, '--column-type', 'age=numerical'),
      'text.csv, row 3 (line 4): value "forty" in numerical column "age" is not a number',
    );
  });

  it('names an unknown column of --columns', async () => {
    expectOneLineError(
      await vigil('drift', '--reference', reference, '--current', same, '--columns', 'age,salary'),
      '--columns: unknown column "salary"',
    );
  });

  it('names the line of a malformed JSON Lines record', async () => {
    const bad = file('bad.jsonl', '{"age": 40, "plan": "pro"}\n\n{"age": 41,\n');
    expectOneLineError(
      await vigil('drift', '--reference', reference, '--current', bad),
      'bad.jsonl: line 3 is not valid JSON',
    );
  });

  it.each([
    [['--bins', '0'], '--bins must be a positive integer, not "0"'],
    [['--frobnicate'], "Unknown option '--frobnicate'"],
  ])('rejects the flags %j', async (flags, message) => {
    expectOneLineError(await vigil('drift', '--reference', reference, '--current', same, ...flags), message);
  });

  it('requires both data sets', async () => {
    expectOneLineError(await vigil('drift', '--reference', reference), '--current FILE is required');
  });
});

/**
 * Flag values are checked before any file is read; these run `main`, the function the
 * executable runs, in-process (the spawned cases above cover the process itself).
 */
describe('vigil drift flag values', () => {
  it.each([
    [['--bins', 'ten'], '--bins must be a positive integer, not "ten"'],
    [['--bins', '2.5'], '--bins must be a positive integer'],
    [['--method', 'age=magic'], 'unknown method "magic"'],
    [['--method', 'age=psi:-1'], 'the threshold must be a non-negative number'],
    [['--method', 'age'], 'expected NAME=METHOD[:THRESHOLD]'],
    [['--method', 'plan=ks'], 'method ks does not apply to categorical column "plan"'],
    [['--drift-share', '1.5'], '--drift-share must be a number between 0 and 1'],
    [['--column-type', 'age=text'], 'the type must be numerical or categorical'],
    [['--format', 'xml'], '--format must be json, text or html'],
    [['--columns', 'age,'], '--columns has an empty column name'],
  ])('rejects %j with status 2 and one line', async (flags, message) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      ['drift', '--reference', reference, '--current', same, ...flags],
      (text) => out.push(text),
      (text) => err.push(text),
    );
    expectOneLineError({ code, stdout: out.join(''), stderr: err.join('') }, message);
  });
});

describe('vigil', { timeout: 30_000 }, () => {
  it('rejects an unknown command with status 2', async () => {
    const run = await vigil('frobnicate');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('vigil: unknown command "frobnicate"');
  });
});
