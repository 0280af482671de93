import type { BuildOptions } from 'esbuild';

/**
 * How a handler is bundled for Lambda, shared by the house construct and by `bench/bundles`
 * (both through {@link buildOptions}), so the benchmark measures what deploys.
 */
export const bundling = {
  target: 'node22',
  minify: true,
  sourceMap: true,
  /**
   * Source maps map stack traces to file and line when an error is logged
   * (`functions/commons/powertools/stack-map.ts`), not at every cold start: functions run
   * without `--enable-source-maps`. Without the sources themselves (a third of the size), the
   * map read on a first error is smaller.
   */
  sourcesContent: false,
  mainFields: ['module', 'main'],
  /** ES module output still meets CommonJS dependencies that call `require`. */
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
} as const;

/** The file Lambda loads (handler `index.handler`): the entry chunk of a function's bundle. */
export const ENTRY_FILE = 'index.mjs';

/**
 * esbuild's options for one function: an ES module bundle split into chunks in `outdir`, the
 * entry chunk `index.mjs` and, beside it, the chunks it imports at load and those a rare path
 * imports on first use (`await import(...)`), each with its source map. A module loaded on a
 * rare path alone stays out of the bytes Node.js reads and compiles at a cold start.
 */
export function buildOptions(entry: string, outdir: string) {
  return {
    entryPoints: { index: entry },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]',
    target: bundling.target,
    minify: bundling.minify,
    sourcemap: bundling.sourceMap,
    sourcesContent: bundling.sourcesContent,
    mainFields: [...bundling.mainFields],
    // Every chunk gets it: a chunk of CommonJS code needs its own `require`.
    banner: { js: bundling.banner },
    // The AWS SDK is bundled too, so the versions pinned in the lock file are the ones that run.
    external: [],
    logLevel: 'warning',
  } satisfies BuildOptions;
}

/**
 * The same build as esbuild command-line arguments, for a build without esbuild's JS API (in
 * a container). An option this does not know throws, so the two never drift apart.
 */
export function esbuildArgs(options: ReturnType<typeof buildOptions>): string[] {
  const args: string[] = [];
  for (const [option, value] of Object.entries(options)) {
    switch (option) {
      case 'entryPoints':
        args.push(...Object.entries(options.entryPoints).map(([name, file]) => `${name}=${file}`));
        break;
      case 'outExtension':
        args.push(
          ...Object.entries(options.outExtension).map(([from, to]) => `--out-extension:${from}=${to}`),
        );
        break;
      case 'banner':
        args.push(`--banner:js=${options.banner.js}`);
        break;
      case 'mainFields':
        args.push(`--main-fields=${options.mainFields.join(',')}`);
        break;
      case 'external':
        args.push(...options.external.map((name) => `--external:${name}`));
        break;
      default: {
        const flag = `--${option.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
        if (value === true) args.push(flag);
        else if (typeof value === 'string' || value === false) args.push(`${flag}=${value}`);
        else throw new Error(`No command-line form for the esbuild option ${option}`);
      }
    }
  }
  return args;
}

/** An output of esbuild's metafile, as far as the chunk graph goes. */
interface ChunkGraph {
  readonly outputs: Record<
    string,
    {
      readonly imports: readonly {
        readonly path: string;
        readonly kind: string;
        readonly external?: boolean;
      }[];
    }
  >;
}

/**
 * The chunks a function loads at a cold start: its entry chunk and every chunk it imports
 * statically, transitively (`import-statement`). What `await import(...)` brings is left out.
 */
export function chunksAtStart(metafile: ChunkGraph, entryOutput: string): string[] {
  return closure(metafile, entryOutput, ['import-statement']);
}

/** Every chunk a function may load: those of its start and those its lazy imports bring. */
export function chunksReachable(metafile: ChunkGraph, entryOutput: string): string[] {
  return closure(metafile, entryOutput, ['import-statement', 'dynamic-import']);
}

function closure(metafile: ChunkGraph, entryOutput: string, kinds: readonly string[]): string[] {
  const loaded = new Set<string>();
  const visit = (output: string) => {
    if (loaded.has(output) || !metafile.outputs[output]) return;
    loaded.add(output);
    for (const { path, kind, external } of metafile.outputs[output].imports) {
      if (kinds.includes(kind) && !external) visit(path);
    }
  };
  visit(entryOutput);
  return [...loaded];
}
