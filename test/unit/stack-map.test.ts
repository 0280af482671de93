import { execFile } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOptions } from '#lib/bundling';
import { readableError } from '../../functions/commons/powertools/readable-error.ts';
import { mapErrorStacks, mapStack, segmentAt } from '../../functions/commons/powertools/stack-map.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const fixture = 'test/fixtures/stack-map/failing.ts';
const handlersFixture = 'test/fixtures/stack-map/handlers.ts';

/** Where a text first occurs in a fixture: its line and column, counted from 1 as stacks do. */
function positionInFixture(text: string, file = fixture): { line: number; column: number } {
  const lines = readFileSync(path.join(repoRoot, file), 'utf8').split('\n');
  const line = lines.findIndex((source) => source.includes(text));
  expect(line, text).toBeGreaterThanOrEqual(0);
  return { line: line + 1, column: (lines[line] ?? '').indexOf(text) + 1 };
}

interface Captured {
  before: { stack: string; cause: string };
  after: { stack: string; cause: string };
  same: boolean;
  sourceMapsEnabled: boolean;
}

/**
 * The fixture's stacks, from its bundle in `dir` imported by a fresh Node.js process as Lambda
 * runs it: without `--enable-source-maps`. The failing step is called from a module of no
 * bundle (`caller.mjs`, no map beside it).
 */
async function capture(dir: string): Promise<Captured> {
  const probe = `
    const { captureStacks } = await import(${JSON.stringify(pathToFileURL(path.join(dir, 'index.mjs')).href)});
    const { viaCaller } = await import(${JSON.stringify(pathToFileURL(path.join(dir, 'caller.mjs')).href)});
    const captured = await captureStacks(viaCaller);
    process.stdout.write(JSON.stringify({ ...captured, sourceMapsEnabled: process.sourceMapsEnabled }));`;
  const { NODE_OPTIONS: _, ...environment } = process.env;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', probe], {
    env: environment,
  });
  return JSON.parse(stdout) as Captured;
}

describe('stack traces mapped to the sources when an error is logged', () => {
  let root: string;
  let bundle: string;

  beforeAll(async () => {
    // Below the project, as CDK writes a function's asset (`cdk.out/asset.<hash>`): the maps name
    // the sources relative to the chunk (`../../../test/...`).
    await mkdir(path.join(repoRoot, 'cdk.out'), { recursive: true });
    root = await mkdtemp(path.join(repoRoot, 'cdk.out', 'stack-map-'));
    bundle = path.join(root, 'bundle');
    await build({ ...buildOptions(path.join(repoRoot, fixture), bundle), absWorkingDir: repoRoot });
    await writeFile(path.join(bundle, 'caller.mjs'), "export const viaCaller = (step) => step('x');\n");
  }, 60_000);

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** A copy of the bundle whose maps `damage` changes. */
  function copyWith(name: string, damage: (map: string) => void): string {
    const dir = path.join(root, name);
    cpSync(bundle, dir, { recursive: true });
    for (const file of readdirSync(dir).filter((file) => file.endsWith('.mjs.map')))
      damage(path.join(dir, file));
    return dir;
  }

  it('maps each frame of a chunk to its TypeScript file, line, column and original name', async () => {
    const { before, after, same, sourceMapsEnabled } = await capture(bundle);
    // Node.js read no map: the stack as it was names the minified chunk.
    expect(sourceMapsEnabled).toBe(false);
    expect(before.stack).toMatch(/^ {4}at \S+ \(file:\/\/\/.+\/index\.mjs:\d+:\d+\)$/m);
    expect(before.stack).not.toContain('.ts:');
    expect(same).toBe(true);

    const [message, thrower, caller, unbundled] = after.stack.split('\n');
    const threw = positionInFixture('new Error(`fixture failure');
    expect(message).toBe('Error: fixture failure: x');
    expect(thrower).toBe(`    at failingStep (${fixture}:${threw.line}:${threw.column})`);
    const called = positionInFixture('failingStep(input) + 1');
    expect(caller).toMatch(new RegExp(`^ {4}at \\S+ \\(${fixture}:${called.line}:${called.column}\\)$`));
    // A frame of a module without a map is left as it was.
    expect(unbundled).toMatch(/^ {4}at viaCaller \(file:\/\/\/.+\/caller\.mjs:1:\d+\)$/);
    expect(before.stack.split('\n')).toContain(unbundled);

    // The cause's stack too.
    const cause = positionInFixture("new Error('fixture cause')");
    expect(after.cause.split('\n').slice(0, 2)).toEqual([
      'Error: fixture cause',
      `    at failingStep (${fixture}:${cause.line}:${cause.column})`,
    ]);
  }, 60_000);

  it('leaves the stack as it was where no map lies beside the chunk', async () => {
    const dir = copyWith('no-maps', (map) => rmSync(map));
    const { before, after, same } = await capture(dir);
    expect(before.stack).toContain('index.mjs:');
    expect(after).toEqual(before);
    expect(same).toBe(true);
  }, 60_000);

  it('leaves the stack as it was, without throwing, where a map is corrupt', async () => {
    for (const [name, content] of [
      ['not-json', '{"version":3,"sources":['],
      ['bad-mappings', '{"version":3,"sources":["x.ts"],"names":[],"mappings":"!!!;%%%,@@"}'],
      ['no-mappings', '{"version":3}'],
    ] as const) {
      const dir = copyWith(name, (map) => writeFileSync(map, content));
      const { before, after, same } = await capture(dir);
      expect(after, name).toEqual(before);
      expect(same, name).toBe(true);
    }
  }, 60_000);
});

describe("the handlers' errors, logged and escaping, with their stacks mapped", () => {
  let root: string;

  beforeAll(async () => {
    await mkdir(path.join(repoRoot, 'cdk.out'), { recursive: true });
    root = await mkdtemp(path.join(repoRoot, 'cdk.out', 'stack-map-handlers-'));
    await build({ ...buildOptions(path.join(repoRoot, handlersFixture), root), absWorkingDir: repoRoot });
  }, 60_000);

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('maps the stack of an error a job lets escape, and of the errors a route and a step log, which the step rethrows', async () => {
    const probe = `
      const { job, api, step } = await import(${JSON.stringify(pathToFileURL(path.join(root, 'index.mjs')).href)});
      const context = { awsRequestId: 'r-1', functionName: 'f', getRemainingTimeInMillis: () => 60000 };
      const escaped = await job({}, context).then(() => undefined, (error) => error.stack);
      const answer = await api({ httpMethod: 'GET', resource: '/fail', headers: {} }, context);
      const rethrown = await step({}, context).then(() => undefined, (error) => error.stack);
      process.stdout.write('RESULT ' + JSON.stringify({ escaped, status: answer.statusCode, rethrown }) + '\\n');`;
    const { NODE_OPTIONS: _, ...environment } = process.env;
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', probe],
      {
        // The step's module names the tables it would use; nothing reaches them.
        env: {
          ...environment,
          GOVERNANCE_TABLE: 'vigil-governance',
          TELEMETRY_TABLE: 'vigil-telemetry',
          POWERTOOLS_LOG_LEVEL: 'INFO',
          POWERTOOLS_SERVICE_NAME: 'vigil',
          AWS_REGION: 'eu-west-1',
        },
      },
    );
    // The logger writes an error to the standard error, outside Lambda.
    const lines = `${stdout}\n${stderr}`.split('\n');
    const result = JSON.parse(lines.find((line) => line.startsWith('RESULT '))?.slice(7) ?? '{}');
    const logged = lines
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { message: string; error?: { stack: string; location: string } });
    const frame = (text: string) => {
      const { line, column } = positionInFixture(text, handlersFixture);
      return `(${handlersFixture}:${line}:${column})`;
    };

    expect(result.escaped.split('\n').slice(0, 2)).toEqual([
      'Error: job failure',
      `    at failInJob ${frame("new Error('job failure')")}`,
    ]);
    expect(result.status).toBe(500);
    const route = logged.find((entry) => entry.message === 'unexpected error')?.error;
    expect(route?.stack).toContain(`    at failInRoute ${frame("new Error('route failure')")}`);
    expect(route?.location).toBe(
      `${handlersFixture}:${positionInFixture("new Error('route failure')", handlersFixture).line}`,
    );
    const task = logged.find((entry) => entry.message === 'task failed')?.error;
    const stepFrame = `    at failInStep ${frame("new Error('step failure')")}`;
    expect(task?.stack).toContain(stepFrame);
    expect(result.rethrown.split('\n')[1]).toBe(stepFrame);
    // Mapping logs nothing of its own: the two errors are all there is, beside the metrics'
    // notice of each invocation that recorded none.
    expect(
      logged.map((entry) => entry.message).filter((message) => !message.startsWith('No application metrics')),
    ).toEqual(['unexpected error', 'task failed']);
  }, 60_000);
});

describe('a position looked up in a source map', () => {
  let root: string;

  beforeAll(async () => {
    // A bundle with the SDK, Powertools, middy and zod in its chunks, as the functions have.
    await mkdir(path.join(repoRoot, 'cdk.out'), { recursive: true });
    root = await mkdtemp(path.join(repoRoot, 'cdk.out', 'stack-map-positions-'));
    await build({ ...buildOptions(path.join(repoRoot, handlersFixture), root), absWorkingDir: repoRoot });
  }, 60_000);

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("is found where Node.js's own SourceMap finds it, at positions all over every chunk", () => {
    const mismatches: unknown[] = [];
    let compared = 0;
    for (const chunk of readdirSync(root).filter((file) => file.endsWith('.mjs'))) {
      const payload = JSON.parse(readFileSync(path.join(root, `${chunk}.map`), 'utf8'));
      const reference = new SourceMap(payload);
      readFileSync(path.join(root, chunk), 'utf8')
        .split('\n')
        .forEach((text, line) => {
          for (let column = 0; column < text.length; column += 53) {
            const expected = reference.findEntry(line, column) as {
              generatedLine?: number;
              originalSource?: string;
              originalLine?: number;
              originalColumn?: number;
              name?: string;
            };
            const found = segmentAt(payload.mappings, line, column);
            // Node.js falls back on the previous line's last segment; a frame is left as it was then.
            const same =
              expected.generatedLine === line && expected.originalSource !== undefined
                ? found !== undefined &&
                  payload.sources[found.source] === expected.originalSource &&
                  found.line === expected.originalLine &&
                  found.column === expected.originalColumn &&
                  // Node.js 20 carries a name on to the next segments that have none.
                  (found.name < 0 || payload.names[found.name] === expected.name)
                : found === undefined;
            if (!same) mismatches.push({ chunk, line, column, expected, found });
            compared++;
          }
        });
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(compared).toBeGreaterThan(5_000);
  });

  it('finds none in mappings that are no Base64 VLQ, and none before the first segment of a line', () => {
    expect(segmentAt('AAAA,!AAA', 0, 10)).toBeUndefined();
    expect(segmentAt('AAAA,gggggggggA', 0, 10)).toBeUndefined();
    expect(segmentAt('AAAAAA', 0, 0)).toBeUndefined();
    expect(segmentAt('AAAg', 0, 0)).toBeUndefined();
    // A segment of a generated column alone maps to nothing.
    expect(segmentAt('AAAA,K', 0, 6)).toBeUndefined();
    expect(segmentAt('AAAA,K', 0, 4)).toEqual({ source: 0, line: 0, column: 0, name: -1 });
    expect(segmentAt(';KACA', 1, 2)).toBeUndefined();
    expect(segmentAt(';KACA', 1, 5)).toEqual({ source: 0, line: 1, column: 0, name: -1 });
    expect(segmentAt(';KACA', 2, 5)).toBeUndefined();
  });
});

describe('a stack text, frame by frame', () => {
  let task: string;

  beforeAll(async () => {
    // A function's task root two levels below the project, its chunk's map naming Vigil's file
    // and a package's: `AAUI` maps column 0 of the chunk to the handler's line 11, column 5;
    // `UCRJA` maps column 10 to the package's line 3, column 1, named `apiHandler`.
    const root = await mkdtemp(path.join(tmpdir(), 'vigil-stack-map-'));
    task = path.join(root, 'var', 'task');
    await mkdir(task, { recursive: true });
    await writeFile(path.join(task, 'index.mjs'), 'export {};\n');
    await writeFile(
      path.join(task, 'index.mjs.map'),
      JSON.stringify({
        version: 3,
        sources: [
          '../../functions/commons/api/handler.ts',
          '../../node_modules/@smithy/core/dist-es/index.js',
        ],
        names: ['apiHandler'],
        mappings: 'AAUI,UCRJA',
      }),
    );
    await writeFile(path.join(task, 'other.mjs'), 'export {};\n');
    return () => rm(root, { recursive: true, force: true });
  });

  it("rewrites the frames of a chunk with a map, by URL or path, and names a function by its caller's call", () => {
    const chunk = pathToFileURL(path.join(task, 'index.mjs')).href;
    const stack = [
      'TypeError: cannot read x',
      `    at Xe (${chunk}:1:1)`,
      `    at Ye (${chunk}:1:11)`,
      `    at async Ze (${path.join(task, 'index.mjs')}:1:1)`,
      `    at ${chunk}:1:11`,
      `    at new Qe (${chunk}:1:1)`,
    ].join('\n');
    expect(mapStack(stack).split('\n')).toEqual([
      'TypeError: cannot read x',
      // Its caller's call site names the function it called.
      '    at apiHandler (functions/commons/api/handler.ts:11:5)',
      // An `await` names nothing: the names stay.
      '    at Ye (node_modules/@smithy/core/dist-es/index.js:3:1)',
      '    at async Ze (functions/commons/api/handler.ts:11:5)',
      '    at node_modules/@smithy/core/dist-es/index.js:3:1',
      '    at new Qe (functions/commons/api/handler.ts:11:5)',
    ]);
  });

  it('leaves every other line as it was: the message, frames of files without a map, of Node.js, of eval, and the TypeScript sources run locally', () => {
    const other = pathToFileURL(path.join(task, 'other.mjs')).href;
    const chunk = pathToFileURL(path.join(task, 'index.mjs')).href;
    const stack = [
      `Error: a message naming ${chunk}:1:1`,
      `    at Object.<anonymous> (${other}:1:1)`,
      `    at ${other}:1:1`,
      '    at node:internal/process/task_queues:95:5',
      '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
      `    at eval (eval at run (${chunk}:1:1), <anonymous>:1:1)`,
      `    at handler (${path.join(repoRoot, 'functions/commons/api/handler.ts')}:20:5)`,
      '    at async Promise.all (index 0)',
      `    at Xe (${pathToFileURL(path.join(task, 'missing.mjs')).href}:1:1)`,
      '    at relative.mjs:1:1',
    ].join('\n');
    expect(mapStack(stack)).toBe(stack);
  });

  it('maps the causes of an error and leaves an error it cannot map be, without throwing', () => {
    const chunk = pathToFileURL(path.join(task, 'index.mjs')).href;
    const cause = new Error('cause');
    cause.stack = `Error: cause\n    at Ye (${chunk}:1:11)`;
    const error = new Error('outer', { cause });
    error.stack = `Error: outer\n    at Xe (${chunk}:1:1)`;
    mapErrorStacks(error);
    expect(error.stack).toBe('Error: outer\n    at Xe (functions/commons/api/handler.ts:11:5)');
    expect(cause.stack).toBe('Error: cause\n    at Ye (node_modules/@smithy/core/dist-es/index.js:3:1)');

    // A cycle of causes ends; a stack that is no string, or cannot be set, stays.
    const looped = new Error('looped');
    looped.cause = looped;
    expect(() => mapErrorStacks(looped)).not.toThrow();
    const frozen = Object.freeze(
      Object.assign(new Error('frozen'), { stack: `Error: frozen\n    at Xe (${chunk}:1:1)` }),
    );
    expect(() => mapErrorStacks(frozen)).not.toThrow();
    expect(frozen.stack).toBe(`Error: frozen\n    at Xe (${chunk}:1:1)`);
    const odd = Object.assign(new Error('odd'), { stack: 42 as unknown as string });
    expect(() => mapErrorStacks(odd)).not.toThrow();
  });
});

describe('readableError in the TypeScript sources (the local runtime)', () => {
  it('leaves the stack of an error thrown in a TypeScript module as it was, and returns anything else as it is', async () => {
    const error = new Error('local');
    const stack = error.stack;
    expect(stack).toContain('stack-map.test.ts:');
    expect(await readableError(error)).toBe(error);
    expect(error.stack).toBe(stack);
    for (const value of [undefined, null, 'text', 42, { stack: 'x' }]) {
      expect(await readableError(value)).toBe(value);
    }
  });
});
