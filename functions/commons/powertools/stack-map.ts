import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Stack traces mapped to the TypeScript sources, when an error is logged rather than at every
 * cold start: functions run without `--enable-source-maps`, which would make Node.js read and
 * parse the source map of every chunk it loads. A frame of a bundle chunk,
 * `at Xe (file:///var/task/chunk-AB12.mjs:1:23456)`, becomes
 * `at evaluateModel (functions/commons/evaluation/evaluate.ts:120:11)`, from the `.map` beside
 * the chunk (read once per chunk, on the first error that passes through it). Loaded with
 * `await import(...)` on an error path alone (`readable-error.ts`). Only frame text changes: the
 * message and everything else stay as they were.
 *
 * A position is looked up by decoding the map's mappings up to it, without building their table
 * as Node.js's `SourceMap` does: a stack names a handful of positions, and that table costs ten
 * times the CPU (about 160 ms against 15 for every chunk of the evaluations function, on a busy
 * machine), which the request that logs the error would pay.
 */

/** A stack line: `at [async ][new ]name (location:line:column)` or `at [async ]location:line:column`. */
const FRAME = /^(\s*at (?:async )?(?:new )?)(?:(.+?) \(([^()]+):(\d+):(\d+)\)|([^()\s][^()]*):(\d+):(\d+))$/;

/** The files a frame may name that esbuild writes a source map beside. */
const BUNDLED = /\.(?:mjs|cjs|js)$/;

/** How deep a chain of `cause`s is followed. */
const MAX_CAUSES = 8;

/** Source map mappings: Base64 VLQ segments, separated by commas and semicolons. */
const MAPPINGS = /^[A-Za-z0-9+/,;]*$/;

/** A chunk's source map, as far as a lookup goes. */
interface ChunkMap {
  readonly sources: readonly unknown[];
  readonly names: readonly unknown[];
  readonly mappings: string;
}

/** Each chunk's source map, or null where there is none (or it is unreadable). */
const maps = new Map<string, ChunkMap | null>();

function sourceMapOf(file: string): ChunkMap | null {
  let map = maps.get(file);
  if (map === undefined) {
    try {
      const payload = JSON.parse(readFileSync(`${file}.map`, 'utf8'));
      // A map whose mappings are not all VLQ is corrupt, even where a lookup would stop before the fault.
      const valid =
        payload?.version === 3 &&
        Array.isArray(payload.sources) &&
        typeof payload.mappings === 'string' &&
        MAPPINGS.test(payload.mappings);
      map = valid
        ? {
            sources: payload.sources,
            names: Array.isArray(payload.names) ? payload.names : [],
            mappings: payload.mappings,
          }
        : null;
    } catch {
      // No map (the TypeScript sources themselves, locally), or one that does not parse.
      map = null;
    }
    maps.set(file, map);
  }
  return map;
}

/** Each Base64 digit's value, by character code; -1 for a character that is none. */
const DIGITS = new Int8Array(128).fill(-1);
for (const [value, digit] of [
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/',
].entries())
  DIGITS[digit.charCodeAt(0)] = value;

/** Where a generated position comes from: indexes into the map's sources and names (-1: none). */
export interface Segment {
  source: number;
  line: number;
  column: number;
  name: number;
}

/**
 * The segment of source map `mappings` (version 3: lines separated by `;`, segments by `,`,
 * each one to five Base64 VLQ fields, all but the generated column relative to the previous
 * segment of the whole map) that a generated position (line and column from 0) falls in: the last
 * one of that line at or before the column. Undefined where none is, where that segment maps to
 * no source, or where the mappings are no VLQ.
 */
export function segmentAt(mappings: string, line: number, column: number): Segment | undefined {
  let generatedLine = 0;
  let generatedColumn = 0;
  // The fields as they add up from segment to segment, the current segment's, and the one found.
  let source = 0;
  let sourceLine = 0;
  let sourceColumn = 0;
  let name = 0;
  const fields = [0, 0, 0, 0, 0];
  let count = 0;
  let value = 0;
  let shift = 0;
  let found = -1;
  const segment: Segment = { source: 0, line: 0, column: 0, name: -1 };
  for (let i = 0; i <= mappings.length; i++) {
    const code = i < mappings.length ? mappings.charCodeAt(i) : 59;
    if (code === 44 || code === 59) {
      // The end of a segment (`,`) or of a line (`;`).
      if (shift !== 0) return undefined;
      if (count > 0) {
        generatedColumn += fields[0] as number;
        if (count >= 4) {
          source += fields[1] as number;
          sourceLine += fields[2] as number;
          sourceColumn += fields[3] as number;
        }
        if (count >= 5) name += fields[4] as number;
        if (generatedLine === line) {
          if (generatedColumn > column) break;
          found = count;
          segment.source = source;
          segment.line = sourceLine;
          segment.column = sourceColumn;
          segment.name = count >= 5 ? name : -1;
        }
      }
      count = 0;
      if (code === 59) {
        if (generatedLine === line) break;
        generatedLine++;
        generatedColumn = 0;
      }
      continue;
    }
    const digit = code < 128 ? (DIGITS[code] as number) : -1;
    if (digit < 0 || shift > 25 || count >= 5) return undefined;
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    fields[count++] = value & 1 ? -(value >>> 1) : value >>> 1;
    value = 0;
    shift = 0;
  }
  // A segment of a generated column alone maps to no source.
  return found >= 4 ? segment : undefined;
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
  const segment = segmentAt(map.mappings, frame.line - 1, frame.column - 1);
  const source = segment && map.sources[segment.source];
  if (!segment || typeof source !== 'string' || segment.line < 0 || segment.column < 0) return undefined;
  const name = map.names[segment.name];
  return {
    source: readableSource(source, `${frame.file}.map`),
    line: segment.line + 1,
    column: segment.column + 1,
    name: typeof name === 'string' ? name : undefined,
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
      // A read-only stack, or a source the map names as no path can be: this error keeps its stack.
    }
    current = current.cause;
  }
}
