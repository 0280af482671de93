import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { CsvError, parse } from 'csv-parse/sync';
import type { Row } from '#drift/index';

/** A usage or input error: the CLI prints its message on one line and exits with status 2. */
export class CliError extends Error {
  override name = 'CliError';
}

/** A data file read into rows, with a way to name a row in messages. */
export interface Dataset {
  path: string;
  rows: Row[];
  /** Every column of the file (the CSV header; for JSON Lines, keys in order of appearance). */
  columns: string[];
  /** "row 5 (line 6)" for CSV (1-based data row), "line 7" for JSON Lines. */
  locate(index: number): string;
}

/**
 * Reads a CSV file with a header row, or JSON Lines (one object per line; chosen by the
 * extension `.jsonl`/`.ndjson`, or by content starting with `{`). Throws {@link CliError} naming
 * the file and the row or line for a missing or empty file, a header-only file, a ragged row,
 * a malformed line.
 */
export function readDataset(path: string): Dataset {
  const text = readText(path);
  if (text.trim() === '') throw new CliError(`${path}: the file is empty (a header row is needed)`);
  const extension = extname(path).toLowerCase();
  const jsonLines =
    extension === '.jsonl' ||
    extension === '.ndjson' ||
    (extension !== '.csv' && text.trimStart().startsWith('{'));
  return jsonLines ? readJsonLines(path, text) : readCsv(path, text);
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`${path}: no such file`);
    if (code === 'EISDIR') throw new CliError(`${path}: is a directory, not a data file`);
    if (code === 'EACCES') throw new CliError(`${path}: permission denied`);
    throw new CliError(`${path}: cannot be read (${(error as Error).message})`);
  }
}

function readCsv(path: string, text: string): Dataset {
  let records: { info: { lines: number }; record: string[] }[];
  try {
    // With `info`, each record comes as { info, record } (csv-parse's types do not say so).
    records = parse(text, {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
    }) as unknown as {
      info: { lines: number };
      record: string[];
    }[];
  } catch (error) {
    if (error instanceof CsvError) throw new CliError(`${path}: not valid CSV: ${error.message}`);
    throw error;
  }
  const [header, ...data] = records;
  if (!header) throw new CliError(`${path}: the file is empty (a header row is needed)`);
  const columns = header.record;
  const seen = new Set<string>();
  columns.forEach((name, i) => {
    if (name.trim() === '') throw new CliError(`${path}: header column ${i + 1} has no name`);
    if (seen.has(name)) throw new CliError(`${path}: header names column "${name}" twice`);
    seen.add(name);
  });
  if (data.length === 0) throw new CliError(`${path}: the file has a header but no data rows`);
  const lines: number[] = [];
  const rows = data.map(({ info, record }, i) => {
    if (record.length !== columns.length) {
      throw new CliError(
        `${path}: row ${i + 1} (line ${info.lines}) has ${fields(record.length)}, the header has ${fields(columns.length)}`,
      );
    }
    lines.push(info.lines);
    // Column names are the file's: a prototype-free row, so a "__proto__" column is a column.
    const row: Row = Object.create(null);
    columns.forEach((name, j) => {
      row[name] = record[j];
    });
    return row;
  });
  return { path, rows, columns, locate: (index) => `row ${index + 1} (line ${lines[index]})` };
}

function fields(n: number): string {
  return n === 1 ? '1 field' : `${n} fields`;
}

/**
 * The deepest array or object a JSON Lines cell may be. Such a cell is a category named by its
 * JSON text, and JSON.stringify recurses: thousands of levels would exhaust the stack.
 */
const MAX_CELL_DEPTH = 64;

/** Whether a cell nests arrays or objects more than {@link MAX_CELL_DEPTH} levels deep (walked without recursion). */
function tooDeep(cell: unknown): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value: cell, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_CELL_DEPTH) return true;
    for (const child of Object.values(value)) stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}

function readJsonLines(path: string, text: string): Dataset {
  const rows: Row[] = [];
  const lines: number[] = [];
  const columns = new Set<string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new CliError(`${path}: line ${i + 1} is not valid JSON (${(error as Error).message})`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new CliError(`${path}: line ${i + 1} is not a JSON object`);
    }
    for (const [column, cell] of Object.entries(value)) {
      if (tooDeep(cell)) {
        throw new CliError(
          `${path}: line ${i + 1}, column "${column}" nests more than ${MAX_CELL_DEPTH} levels of arrays or objects`,
        );
      }
    }
    for (const key of Object.keys(value)) columns.add(key);
    rows.push(value as Row);
    lines.push(i + 1);
  });
  if (rows.length === 0) throw new CliError(`${path}: the file has no records`);
  return { path, rows, columns: [...columns], locate: (index) => `line ${lines[index]}` };
}
