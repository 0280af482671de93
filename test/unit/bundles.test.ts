import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { buildOptions, chunksAtStart, chunksReachable, esbuildArgs } from '#lib/bundling';
import { type FunctionId, functionCatalog } from '#lib/functions';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/** The files a function's chunks keep code of, with the bytes each adds. */
interface FunctionInputs {
  /** In the chunks a cold start loads: the entry chunk and its static imports, transitively. */
  readonly atStart: Map<string, number>;
  /** In every chunk the function may load, lazy ones (`await import(...)`) included. */
  readonly all: Map<string, number>;
  /** The Node.js modules the chunks of a cold start import (`node:stream`...). */
  readonly builtinsAtStart: Set<string>;
}

/**
 * What each function's split bundle holds, as esbuild builds it with the deploy options (one
 * build for all of them: each module is parsed once; a function's chunks hold the same
 * modules as in a build of its own).
 */
async function bundledInputs(): Promise<Map<FunctionId, FunctionInputs>> {
  const result = await build({
    ...buildOptions('', 'out'),
    entryPoints: Object.fromEntries(
      Object.entries(functionCatalog).map(([name, fn]) => [name, path.join(repoRoot, fn.entry)]),
    ),
    absWorkingDir: repoRoot,
    write: false,
    sourcemap: false,
    metafile: true,
    logLevel: 'silent',
  });
  const { metafile } = result;
  const inputsOf = (outputs: readonly string[]) => {
    const inputs = new Map<string, number>();
    for (const output of outputs) {
      for (const [input, { bytesInOutput }] of Object.entries(metafile.outputs[output]?.inputs ?? {})) {
        if (bytesInOutput > 0) inputs.set(input, bytesInOutput);
      }
    }
    return inputs;
  };
  const bundles = new Map<FunctionId, FunctionInputs>();
  for (const name of Object.keys(functionCatalog) as FunctionId[]) {
    const entry = `out/${name}.mjs`;
    expect(Object.keys(metafile.outputs)).toContain(entry);
    const started = chunksAtStart(metafile, entry);
    bundles.set(name, {
      atStart: inputsOf(started),
      all: inputsOf(chunksReachable(metafile, entry)),
      builtinsAtStart: new Set(
        started.flatMap((output) =>
          (metafile.outputs[output]?.imports ?? []).flatMap((i) => (i.external ? [i.path] : [])),
        ),
      ),
    });
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
  /** Every file a function may load code of. */
  const bundles = built.then(
    (all) => new Map([...all].map(([name, inputs]) => [name, [...inputs.all.keys()]] as const)),
  );
  /** The files a function loads code of at a cold start. */
  const atStart = built.then(
    (all) => new Map([...all].map(([name, inputs]) => [name, [...inputs.atStart.keys()]] as const)),
  );

  it('loads no X-Ray SDK in any function: Lambda records the traces, no handler adds to them', async () => {
    const all = await bundles;
    expect(all.size).toBe(names.length);
    for (const [name, inputs] of all) {
      const packages = packagesOf(inputs);
      expect(packagesOf((await atStart).get(name) ?? []).has('@aws-lambda-powertools/logger'), name).toBe(
        true,
      );
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
      'workflowRecords',
    ] as const) {
      expect(packagesOf((await atStart).get(name) ?? []).has('@aws-lambda-powertools/metrics'), name).toBe(
        true,
      );
    }
  }, 120_000);

  it('keeps statistics out of ingestion: counting values loads no p-value code', async () => {
    const all = await bundles;
    const ingest = packagesOf(all.get('ingest') ?? []);
    expect(packagesOf((await atStart).get('ingest') ?? []).has('@aws-sdk/client-dynamodb')).toBe(true);
    expect([...ingest].filter((name) => name.startsWith('@stdlib/'))).toEqual([]);
    // The statistics are the evaluations' main path: they load at start, not on first use.
    expect(
      packagesOf((await atStart).get('evaluations') ?? []).has('@stdlib/math-base-special-gammainc'),
    ).toBe(true);
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
    for (const [name, { all: inputs }] of all) {
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
    expect(
      [...(all.get('ingest')?.atStart.keys() ?? [])].some((input) => input.includes('node_modules/zod/')),
    ).toBe(true);
  }, 120_000);

  /**
   * Per function, the AWS clients of its rare paths (loaded on first use, in chunks of their
   * own) and those of its main path (loaded at start: moving them to the first request would
   * not shorten a cold start).
   */
  const clients: Partial<Record<FunctionId, { lazy: string[]; atStart?: string[] }>> = {
    authorizer: { lazy: ['secrets-manager'] },
    ingest: { lazy: ['sfn', 'sqs'] },
    registry: { lazy: ['api-gateway', 'sfn', 'sns'] },
    evaluations: { lazy: ['sfn', 'sqs', 'sns', 'secrets-manager'] },
    scheduledEvaluation: { lazy: ['sfn', 'sqs', 'sns', 'secrets-manager'] },
    incidents: { lazy: ['sfn', 'sqs'] },
    approvals: { lazy: ['sfn', 'sqs'], atStart: ['secrets-manager'] },
    webhooks: { lazy: ['sqs', 'secrets-manager'] },
    deliveryRefresh: { lazy: ['secrets-manager'], atStart: ['sns'] },
    workflowApproval: { lazy: [], atStart: ['sns', 'sqs', 'secrets-manager'] },
    workflowSteps: { lazy: [], atStart: ['sns', 'sqs'] },
    workflowRecords: { lazy: [] },
    webhookDelivery: { lazy: [], atStart: ['sqs', 'secrets-manager'] },
    evidence: { lazy: [], atStart: ['kms'] },
  };

  it.each(Object.entries(clients))(
    '%s loads the clients of its rare paths on first use, and those of its main path at start',
    async (name, { lazy, atStart: expected = [] }) => {
      const startPackages = packagesOf((await atStart).get(name as FunctionId) ?? []);
      const allPackages = packagesOf((await bundles).get(name as FunctionId) ?? []);
      for (const client of lazy) {
        expect(startPackages.has(`@aws-sdk/client-${client}`), `${client} at start`).toBe(false);
        expect(allPackages.has(`@aws-sdk/client-${client}`), `${client} on first use`).toBe(true);
      }
      for (const client of expected) {
        expect(startPackages.has(`@aws-sdk/client-${client}`), `${client} at start`).toBe(true);
      }
    },
    120_000,
  );

  it('starts the authorizer on the low-level DynamoDB client alone: no document client for one key lookup', async () => {
    const packages = packagesOf((await atStart).get('authorizer') ?? []);
    expect(packages.has('@aws-sdk/client-dynamodb')).toBe(true);
    expect(packages.has('@aws-sdk/lib-dynamodb')).toBe(false);
    expect(packages.has('@aws-sdk/util-dynamodb')).toBe(false);
  }, 120_000);

  /**
   * Per function, Vigil's own modules of a rare path: loaded with `await import(...)` on first
   * use (a chunk of their own), never at start.
   */
  const rarePaths: Partial<Record<FunctionId, string[]>> = {
    // Opening an incident on a breach, its alert and view links.
    evaluations: ['evaluation/breach-incident.ts', 'views/links.ts', 'delivery/unreachable.ts'],
    scheduledEvaluation: ['evaluation/breach-incident.ts'],
    // The incident a batch served by an unapproved version opens.
    ingest: ['incidents/unapproved.ts', 'incidents/open.ts', 'incidents/store.ts', 'webhooks/publish.ts'],
    // The requests a newly confirmed address receives, and the report of a lost one.
    deliveryRefresh: ['approvals/request.ts', 'delivery/lost.ts', 'delivery/unreachable.ts'],
  };

  it.each(Object.entries(rarePaths))(
    '%s loads the code of its rare paths on first use',
    async (name, modules) => {
      const started = (await atStart).get(name as FunctionId) ?? [];
      const all = (await bundles).get(name as FunctionId) ?? [];
      for (const module of modules.map((file) => `functions/commons/${file}`)) {
        expect(started, `${module} at start`).not.toContain(module);
        expect(all, `${module} on first use`).toContain(module);
      }
    },
    120_000,
  );

  /**
   * croner reads cron schedules, which most models do not have: it loads with the first schedule
   * a function reads or checks (`evaluation/cron-engine.ts`, a chunk of its own), never at start.
   */
  const cronReaders: FunctionId[] = [
    'registry',
    'scheduledEvaluation',
    'evaluations',
    'workflowSteps',
    'workflowRecords',
    'openapi',
  ];

  it('loads croner at start in no function, and on first use where a cron schedule is read or checked', async () => {
    const started = await atStart;
    expect(started.size).toBe(names.length);
    for (const [name, inputs] of started) {
      expect(packagesOf(inputs).has('croner'), `${name} at start`).toBe(false);
      expect(inputs, `${name} at start`).not.toContain('functions/commons/evaluation/cron-engine.ts');
    }
    for (const name of cronReaders) {
      const all = (await bundles).get(name) ?? [];
      expect(packagesOf(all).has('croner'), `${name} on first use`).toBe(true);
      expect(all, `${name} on first use`).toContain('functions/commons/evaluation/cron-engine.ts');
    }
  }, 120_000);

  describe('the workflow, approval and registry functions', () => {
    const has = async (name: FunctionId, module: string, where: 'atStart' | 'all') =>
      ((await (where === 'atStart' ? atStart : bundles)).get(name) ?? []).includes(
        `functions/commons/${module}`,
      );

    it('starts the steps that read and record alone without SNS or SQS, and the others with them', async () => {
      const records = packagesOf((await atStart).get('workflowRecords') ?? []);
      const steps = packagesOf((await atStart).get('workflowSteps') ?? []);
      for (const client of ['sns', 'sqs']) {
        expect(records.has(`@aws-sdk/client-${client}`), client).toBe(false);
        expect(steps.has(`@aws-sdk/client-${client}`), client).toBe(true);
      }
      expect(await has('workflowRecords', 'workflow/record-steps.ts', 'atStart')).toBe(true);
    }, 120_000);

    it('starts the human steps without the automated steps, and the baseline steps without fitting baselines', async () => {
      for (const module of ['incidents/steps.ts', 'incidents/revert.ts', 'incidents/validation.ts']) {
        expect(await has('workflowApproval', module, 'all'), module).toBe(false);
      }
      for (const name of ['workflowSteps', 'workflowRecords'] as const) {
        expect(await has(name, 'baseline-review/steps.ts', 'atStart'), name).toBe(true);
        for (const module of ['registry/baselines.ts', 'drift/profile.ts', 'telemetry/records.ts']) {
          expect(await has(name, module, 'all'), `${name}: ${module}`).toBe(false);
        }
      }
    }, 120_000);

    it("fits a baseline and resumes a review on the registry's first baseline PUT, not at its start", async () => {
      for (const module of [
        'baseline-review/put.ts',
        'registry/baselines.ts',
        'drift/profile.ts',
        'telemetry/records.ts',
        'incidents/audit.ts',
        'workflow/sfn.ts',
      ]) {
        expect(await has('registry', module, 'atStart'), `${module} at start`).toBe(false);
        expect(await has('registry', module, 'all'), `${module} on first use`).toBe(true);
      }
    }, 120_000);
  });

  /**
   * The evaluation functions' rare paths beyond a breach: an agent decision to announce or apply
   * (the scheduled tick), a baseline review due, an open `unapproved_version` incident. A run
   * checks for them with a key read; the incident, approval and workflow code loads on first use.
   */
  const evaluationRarePaths: Partial<Record<FunctionId, string[]>> = {
    scheduledEvaluation: [
      'agents/announce.ts',
      'agents/decide.ts',
      'approvals/request.ts',
      'approvals/pass-on.ts',
      'baseline-review/open.ts',
      'incidents/open.ts',
      'incidents/revert.ts',
      'incidents/unapproved.ts',
      'incidents/audit.ts',
      'evidence/store.ts',
      'notifier/index.ts',
      'workflow/index.ts',
    ],
    evaluations: ['incidents/revert.ts', 'incidents/open.ts', 'notifier/index.ts', 'workflow/index.ts'],
  };

  it.each(Object.entries(evaluationRarePaths))(
    '%s loads incidents, approvals and the workflow on first use: most runs open and decide nothing',
    async (name, modules) => {
      const started = (await atStart).get(name as FunctionId) ?? [];
      const all = (await bundles).get(name as FunctionId) ?? [];
      // The engine is the main path: it loads at start.
      expect(started).toContain('functions/commons/evaluation/evaluate.ts');
      for (const module of modules.map((file) => `functions/commons/${file}`)) {
        expect(started, `${module} at start`).not.toContain(module);
        expect(all, `${module} on first use`).toContain(module);
      }
    },
    120_000,
  );

  it("starts the evaluation engine without the registry's validation: no record checks, no field schemas in a scheduled run", async () => {
    const started = await atStart;
    for (const name of ['scheduledEvaluation', 'evaluations', 'reports'] as const) {
      const inputs = started.get(name) ?? [];
      expect(inputs, name).toContain('functions/commons/registry/baseline-reads.ts');
      expect(inputs, name).not.toContain('functions/commons/registry/baselines.ts');
      expect(inputs, name).not.toContain('functions/commons/telemetry/records.ts');
    }
    const scheduled = started.get('scheduledEvaluation') ?? [];
    expect(scheduled).toContain('functions/commons/registry/duration.ts');
    expect(scheduled).not.toContain('functions/commons/registry/fields.ts');
    expect(scheduled).not.toContain('functions/commons/api/request.ts');
    // It validates no request: the model schema's cron checks live apart from the reading of fire times.
    expect(packagesOf(scheduled).has('zod')).toBe(false);
  }, 120_000);

  it('lists and reads evaluations without the evaluation engine: no statistics, drift or telemetry code', async () => {
    const all = (await bundles).get('evaluationReads') ?? [];
    expect(all).toContain('functions/commons/evaluation/store.ts');
    expect(
      all.filter((input) => /functions\/commons\/(drift|telemetry|segments|cbpe|quality)\//.test(input)),
    ).toEqual([]);
    expect(all).not.toContain('functions/commons/evaluation/evaluate.ts');
    expect([...packagesOf(all)].filter((name) => name.startsWith('@stdlib/'))).toEqual([]);
    // Evaluating now keeps them at start: the engine is that function's main path.
    expect(
      packagesOf((await atStart).get('evaluations') ?? []).has('@stdlib/math-base-special-gammainc'),
    ).toBe(true);
  }, 120_000);

  describe('stack traces mapped on an error', () => {
    const mapper = 'functions/commons/powertools/stack-map.ts';

    it('loads the stack mapper at start in no function, and on the first error in every function with code that can fail', async () => {
      const started = await atStart;
      expect(started.size).toBe(names.length);
      for (const [name, inputs] of started) {
        expect(inputs, `${name} at start`).not.toContain(mapper);
        // What loads it on an error is at start: a small module of ours.
        if (inputs.includes('functions/commons/powertools/middleware.ts'))
          expect(inputs, name).toContain('functions/commons/powertools/readable-error.ts');
      }
      const all = await bundles;
      // The health check and the OpenAPI document answer a constant: nothing to map.
      for (const name of names.filter((n) => n !== 'health' && n !== 'openapi')) {
        expect(all.get(name) ?? [], `${name} on the first error`).toContain(mapper);
      }
    }, 120_000);
  });

  /**
   * What every handler's wrapper and the evaluation functions' main path leave out of a start:
   * Middy (its module loads Node.js's web streams, for response streaming, which no function
   * uses), the whole of `node:util` (importing any of it evaluates its argument parser and MIME
   * types) or `node:timers/promises` (for a seldom retry's wait), and, where evaluating now needs no validation but of a model id, the schema library.
   */
  describe('the handler wrapper and the evaluation functions', () => {
    /** They log through Powertools' middleware for Middy alone, with no metrics to flush. */
    const middyFunctions: FunctionId[] = ['health', 'openapi'];

    it('runs every handler in the Powertools stack without Middy or web streams', async () => {
      const all = await built;
      expect(all.size).toBe(names.length);
      for (const name of [
        'evaluations',
        'scheduledEvaluation',
        'workflowSteps',
        'workflowApproval',
      ] as const) {
        const started = [...(all.get(name)?.atStart.keys() ?? [])];
        expect(started, name).toContain('functions/commons/powertools/middleware.ts');
      }
      for (const [name, { all: inputs, builtinsAtStart }] of all) {
        if (middyFunctions.includes(name)) continue;
        expect(packagesOf([...inputs.keys()]).has('@middy/core'), name).toBe(false);
        expect(
          [...builtinsAtStart].filter((module) => module.startsWith('node:stream/')),
          name,
        ).toEqual([]);
      }
    }, 120_000);

    it('imports nothing of node:util or node:timers/promises at start in any function', async () => {
      const all = await built;
      expect(all.size).toBe(names.length);
      for (const [name, { builtinsAtStart }] of all) {
        // The logger writes through a console of its own: what the start imports is listed.
        expect(builtinsAtStart.has('node:console'), name).toBe(true);
        expect(builtinsAtStart.has('node:util'), name).toBe(false);
        expect(builtinsAtStart.has('node:timers/promises'), name).toBe(false);
      }
    }, 120_000);

    it('starts evaluating now without the schema library, which loads to refuse a malformed model id', async () => {
      const evaluations = (await built).get('evaluations');
      const started = [...(evaluations?.atStart.keys() ?? [])];
      const all = [...(evaluations?.all.keys() ?? [])];
      expect(started).toContain('functions/commons/evaluation/model-path.ts');
      expect(packagesOf(started).has('zod')).toBe(false);
      expect(started).not.toContain('functions/commons/api/model-path-schema.ts');
      expect(all).toContain('functions/commons/api/model-path-schema.ts');
      expect(packagesOf(all).has('zod')).toBe(true);
      // The engine and its statistics stay at start: they are this function's main path.
      expect(started).toContain('functions/commons/evaluation/evaluate.ts');
      expect(packagesOf(started).has('@stdlib/math-base-special-gammainc')).toBe(true);
    }, 120_000);
  });

  it("loads no AWS client at start that the function has no use for, and none of the SDK's rare credential sources", async () => {
    for (const [name, inputs] of await atStart) {
      const packages = packagesOf(inputs);
      const started = [...packages].filter((p) => p.startsWith('@aws-sdk/client-')).map((p) => p.slice(16));
      const expected = new Set(['dynamodb', ...(clients[name]?.atStart ?? [])]);
      expect(
        started.filter((client) => !expected.has(client)),
        name,
      ).toEqual([]);
      // STS, SSO and the shared config files: Lambda gives credentials in the environment.
      expect(packages.has('@aws-sdk/nested-clients'), name).toBe(false);
      expect(packages.has('@aws-sdk/credential-provider-sso'), name).toBe(false);
    }
  }, 120_000);

  /**
   * API routes that are a minority of their function's calls load their code on first use: a
   * model's PUT (the model's schema, the largest of all, with the agent, step catalog, quality and
   * estimated-performance checks it calls), a webhook's registration (its URL's address rules), and
   * the incident API's two writes (a candidate, an agent's decision: the workflow engine, the step
   * catalog, the decision's pass-on, semver).
   */
  describe('the registry, webhook and incident APIs: their rare writes on first use', () => {
    const modules = async (name: FunctionId) => ({
      started: (await atStart).get(name) ?? [],
      all: (await bundles).get(name) ?? [],
    });
    const lazy: Partial<Record<FunctionId, { atStart: string[]; onFirstUse: string[] }>> = {
      registry: {
        atStart: [
          'registry/route-schemas.ts',
          'registry/lists.ts',
          'registry/store.ts',
          'agents/key-name.ts',
        ],
        onFirstUse: [
          'registry/schema.ts',
          'agents/schema.ts',
          'approvals/steps.ts',
          'cbpe/records.ts',
          'quality/rules.ts',
          'registry/seasonal-rules.ts',
          'evaluation/cron-schema.ts',
        ],
      },
      webhooks: {
        atStart: ['webhooks/schema.ts', 'webhooks/store.ts', 'webhooks/secrets.ts'],
        onFirstUse: ['webhooks/registration.ts', 'webhooks/send.ts', 'webhooks/address.ts'],
      },
      incidents: {
        atStart: ['incidents/view.ts', 'incidents/store.ts', 'incidents/schema.ts', 'incidents/audit.ts'],
        onFirstUse: [
          'incidents/candidate.ts',
          'agents/decide.ts',
          'agents/schema.ts',
          'approvals/steps.ts',
          'approvals/pass-on.ts',
          'workflow/index.ts',
        ],
      },
    };

    it.each(Object.entries(lazy))(
      '%s starts with its main routes only',
      async (name, expected) => {
        const { started, all } = await modules(name as FunctionId);
        for (const module of expected.atStart.map((file) => `functions/commons/${file}`)) {
          expect(started, `${module} at start`).toContain(module);
        }
        for (const module of expected.onFirstUse.map((file) => `functions/commons/${file}`)) {
          expect(started, `${module} at start`).not.toContain(module);
          expect(all, `${module} on first use`).toContain(module);
        }
      },
      120_000,
    );

    it("checks an incident candidate's version with semver on the first candidate, not at the start", async () => {
      const { started, all } = await modules('incidents');
      expect(packagesOf(started).has('semver')).toBe(false);
      expect(packagesOf(all).has('semver')).toBe(true);
    }, 120_000);
  });
});

describe('the build without the JS API', () => {
  it("gives esbuild's command line the same build as the JS API: the same chunks, byte for byte", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'vigil-build-'));
    try {
      const entry = functionCatalog.ingest.entry;
      await build({ ...buildOptions(entry, path.join(dir, 'api')), absWorkingDir: repoRoot });
      await promisify(execFile)(
        path.join(repoRoot, 'node_modules', '.bin', 'esbuild'),
        esbuildArgs(buildOptions(entry, path.join(dir, 'cli'))),
        { cwd: repoRoot },
      );
      const api = (await readdir(path.join(dir, 'api'))).sort();
      expect(api).toContain('index.mjs');
      expect(api.length).toBeGreaterThan(2);
      expect((await readdir(path.join(dir, 'cli'))).sort()).toEqual(api);
      for (const file of api) {
        expect(await readFile(path.join(dir, 'cli', file), 'utf8'), file).toBe(
          await readFile(path.join(dir, 'api', file), 'utf8'),
        );
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('refuses an option it has no command-line form for', () => {
    expect(() => esbuildArgs({ ...buildOptions('x.ts', 'out'), define: { a: 'b' } } as never)).toThrow(
      'No command-line form for the esbuild option define',
    );
  });
});
