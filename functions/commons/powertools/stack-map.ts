import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Stack traces mapped to the TypeScript sources, when an error is logged rather than at every
 * cold start: functions run without `--enable-source-maps`, which would make Node.js read and
 * parse the source map of every chunk it loads. A frame of a bundle chunk,
 * `at Xe (file:///var/task/chunk-AB12.mjs:1:23456)`, becomes
 * `at evaluateModel (functions/commons/evaluation/evaluate.ts:120:11)`, from the `.map` beside
 * the chunk (read and parsed once per chunk, on the first error that passes through it). Loaded
 * with `await import(...)` on an error path alone (`readable-error.ts`). Only frame text changes:
 * the message and everything else stay as they were.
 */

/** A stack line: `at [async ][new ]name (location:line:column)` or `at [async ]location:line:column`. */
const FRAME = /^(\s*at (?:async )?(?:new )?)(?:(.+?) \(([^()]+):(\d+):(\d+)\)|([^()\s][^()]*):(\d+):(\d+))$/;

/** The files a frame may name that esbuild writes a source map beside. */
const BUNDLED = /\.(?:mjs|cjs|js)$/;

/** How deep a chain of `cause`s is followed. */
const MAX_CAUSES = 8;

/** Source map mappings: Base64 VLQ segments, separated by commas and semicolons. */
const MAPPINGS = /^[A-Za-z0-9+/,;]*$/;

/** Each chunk's parsed source map, or null where there is none (or it is unreadable). */
const maps = new Map<string, SourceMap | null>();

function sourceMapOf(file: string): SourceMap | null {
  let map = maps.get(file);
  if (map === undefined) {
    try {
      const payload = JSON.parse(readFileSync(`${file}.map`, 'utf8'));
      // Node.js decodes what is no VLQ as positions all the same: such a map is none.
      const valid =
        payload?.version === 3 &&
        Array.isArray(payload.sources) &&
        typeof payload.mappings === 'string' &&
        MAPPINGS.test(payload.mappings);
      map = valid ? new SourceMap(payload) : null;
    } catch {
      // No map (the TypeScript sources themselves, locally), or one that does not parse.
      map = null;
    }
    maps.set(file, map);
  }
  return map;
}

/** The file a frame's location names: a `file:` URL or an absolute path; else undefined. */
function fileOf(location: string): string | undefined {
  try {
    if (location.startsWith('file://')) return fileURLToPath(location);
  } catch {
    return undefined;
  }
  return path.isAbsolute(location) ? location : undefined;
}

/**
 * A source as a reader knows it: a package's file from its `node_modules/` folder on, Vigil's
 * own relative to the project (the map names it relative to the chunk: `../../functions/...`).
 */
function readableSource(source: string, mapFile: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(source) && !source.startsWith('file:')) return source;
  const file = source.startsWith('file:') ? fileURLToPath(source) : source;
  const absolute = path.resolve(path.dirname(mapFile), file);
  const packages = absolute.lastIndexOf(`${path.sep}node_modules${path.sep}`);
  if (packages >= 0)
    return absolute
      .slice(packages + 1)
      .split(path.sep)
      .join('/');
  return path.isAbsolute(file) ? file : path.normalize(file).replace(/^(?:\.\.?[/\\])+/, '');
}

interface Frame {
  prefix: string;
  name: string | undefined;
  file: string;
  line: number;
  column: number;
}

interface Position {
  source: string;
  line: number;
  column: number;
  /** The original name of the identifier at this position, where minifying renamed it. */
  name: string | undefined;
}

function parseFrame(text: string): Frame | undefined {
  const match = FRAME.exec(text);
  if (!match) return undefined;
  const [, prefix = '', name, nameLocation, nameLine, nameColumn, location, line, column] = match;
  const file = fileOf(nameLocation ?? location ?? '');
  if (!file || !BUNDLED.test(file)) return undefined;
  return {
    prefix,
    name,
    file,
    line: Number(nameLine ?? line),
    column: Number(nameColumn ?? column),
  };
}

/** Where a frame's position comes from in the sources, or undefined when its chunk has no map. */
function originalPosition(frame: Frame): Position | undefined {
  const map = sourceMapOf(frame.file);
  if (!map) return undefined;
  // Stack positions count from 1, source map positions from 0.
  const entry = map.findEntry(frame.line - 1, frame.column - 1) as {
    originalSource?: string;
    originalLine?: number;
    originalColumn?: number;
    name?: string;
  };
  if (typeof entry.originalSource !== 'string' || entry.originalLine === undefined) return undefined;
  return {
    source: readableSource(entry.originalSource, `${frame.file}.map`),
    line: entry.originalLine + 1,
    column: (entry.originalColumn ?? 0) + 1,
    name: entry.name,
  };
}

/**
 * A stack text with each frame of a chunk that has a source map rewritten to its source file,
 * line and column; every other line as it was. A frame's function name becomes its original one
 * where the map has it: the name its caller's frame calls it by, for a synchronous call (a
 * minified call site keeps it; at an `await` the name stays).
 */
export function mapStack(stack: string): string {
  const lines = stack.split('\n');
  const frames = lines.map(parseFrame);
  const positions = frames.map((frame) => (frame ? originalPosition(frame) : undefined));
  return lines
    .map((text, i) => {
      const frame = frames[i];
      const position = positions[i];
      if (!frame || !position) return text;
      const where = `${position.source}:${position.line}:${position.column}`;
      if (frame.name === undefined) return `${frame.prefix}${where}`;
      const caller = positions[i + 1];
      const synchronous = !frame.prefix.includes('async ') && !frames[i + 1]?.prefix.includes('async ');
      const name = synchronous && caller?.name ? caller.name : frame.name;
      return `${frame.prefix}${name} (${where})`;
    })
    .join('\n');
}

/**
 * Rewrites an error's stack, and its causes', to the sources (see {@link mapStack}). Never
 * throws: what cannot be mapped keeps its stack.
 */
export function mapErrorStacks(error: Error): void {
  const seen = new Set<unknown>();
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSES && current instanceof Error && !seen.has(current); depth++) {
    seen.add(current);
    try {
      const { stack } = current;
      if (typeof stack === 'string') {
        const mapped = mapStack(stack);
        if (mapped !== stack) current.stack = mapped;
      }
    } catch {
      // A read-only stack, or a map that findEntry refuses: this error keeps its stack.
    }
    current = current.cause;
  }
}
