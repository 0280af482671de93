import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { renderHtmlReport } from '#drift/html';
import {
  analyzeDatasets,
  type ColumnDrift,
  type ColumnType,
  type CompareOptions,
  DEFAULT_FDR_ALPHA,
  DRIFT_METHODS,
  DriftInputError,
  type DriftMethod,
  type DriftReport,
  type MethodChoice,
} from '#drift/index';
import { CliError, type Dataset, readDataset } from './input.ts';

export const DRIFT_USAGE = `Usage: vigil drift --reference REF --current CUR [options]

Compares two data files (CSV with a header row, or JSON Lines) column by column and reports
drift as docs/drift.md defines it. Exit status: 0 no dataset drift, 1 dataset drift, 2 usage
or input error.

Options:
  --reference FILE               the baseline data set (required)
  --current FILE                 the data set to check (required)
  --format json|text|html        output format (default json, as docs/drift.md shows it)
  --output FILE                  write the report to FILE instead of standard output
  --columns a,b                  compare only these columns, in this order
  --column-type NAME=TYPE        numerical or categorical, overriding inference (repeatable)
  --bins N                       drift bins for psi/kl/jensenShannon/hellinger (default 10)
  --method NAME=METHOD[:T]       method and threshold for a column (repeatable); methods:
                                 ${DRIFT_METHODS.join(', ')}
  --drift-share X                share of drifted columns that makes dataset drift (default 0.5)
  --dataset-rule share|fdr       how dataset drift is decided: share (of drifted columns, the
                                 default) or fdr (Benjamini–Hochberg over the columns' KS and
                                 chi-square p-values: drift when any is rejected); fdr adds
                                 adjustedPValue to each column and rule, alpha to the dataset
  --alpha A                      false discovery rate of --dataset-rule fdr (default 0.05)
  -h, --help                     show this help

On a terminal, inputs of more than 100,000 rows show progress on standard error.
`;

type Format = 'json' | 'text' | 'html';
type Write = (text: string) => void;

/** Inputs with more rows than this show progress on a terminal. */
export const PROGRESS_MIN_ROWS = 100_000;

/**
 * Progress for a person at a terminal: one line on standard error, rewritten in place and
 * cleared before anything else is printed. Silent unless standard error is a terminal and an
 * input has more than {@link PROGRESS_MIN_ROWS} rows; never on standard output.
 */
class Progress {
  private enabled = false;
  private shown = false;

  constructor(
    private readonly err: Write,
    private readonly terminal: boolean,
  ) {}

  /** Turns progress on once an input is known to be large. */
  consider(dataset: Dataset): void {
    if (this.terminal && dataset.rows.length > PROGRESS_MIN_ROWS) this.enabled = true;
  }

  show(text: string): void {
    if (!this.enabled) return;
    this.err(`\r\x1b[K${text}`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) this.err('\r\x1b[K');
    this.shown = false;
  }
}

const count = (n: number) => n.toLocaleString('en-US');

/**
 * `vigil drift`: returns the exit status; throws {@link CliError} for usage and input errors.
 * `terminal`: whether standard error is a terminal (progress is shown only there).
 */
export function runDrift(
  args: string[],
  out: Write,
  err: Write,
  terminal: boolean = process.stderr.isTTY === true,
): number {
  const options = parseDriftArgs(args);
  if (options === 'help') {
    out(DRIFT_USAGE);
    return 0;
  }
  const progress = new Progress(err, terminal);
  let reference: Dataset;
  let current: Dataset;
  let analysis: ReturnType<typeof analyzeDatasets>;
  try {
    reference = readDataset(options.reference);
    progress.consider(reference);
    progress.show(
      `Read ${count(reference.rows.length)} rows of ${reference.path}; reading ${options.current}...`,
    );
    current = readDataset(options.current);
    progress.consider(current);
    checkColumnNames(options.compare, reference, current);
    try {
      analysis = analyzeDatasets(reference.rows, current.rows, {
        ...options.compare,
        onColumn: (name, index, total) =>
          progress.show(
            `Comparing ${count(reference.rows.length)} and ${count(current.rows.length)} rows: column ${index} of ${total} (${name})...`,
          ),
      });
    } catch (error) {
      if (error instanceof DriftInputError) throw new CliError(locate(error, reference, current));
      throw error;
    }
  } finally {
    progress.clear();
  }
  const report: DriftReport = {
    ...analysis.report,
    reference: { path: reference.path, rows: reference.rows.length },
    current: { path: current.path, rows: current.rows.length },
  };
  const rendered =
    options.format === 'json'
      ? `${JSON.stringify(report, null, 2)}\n`
      : options.format === 'html'
        ? renderHtmlReport(report, analysis.charts, {
            title: `Drift: ${current.path} against ${reference.path}`,
          })
        : renderText(report);
  if (options.output) {
    try {
      writeFileSync(options.output, rendered);
    } catch (error) {
      throw new CliError(`${options.output}: cannot write the report (${(error as Error).message})`);
    }
    err(`${datasetLine(report)} Report written to ${options.output}.\n`);
  } else {
    out(rendered);
  }
  return report.dataset.drifted ? 1 : 0;
}

interface DriftOptions {
  reference: string;
  current: string;
  format: Format;
  output?: string;
  compare: CompareOptions;
}

function parseDriftArgs(args: string[]): DriftOptions | 'help' {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(args));
  } catch (error) {
    throw new CliError(`${(error as Error).message.split('\n')[0]} (see vigil drift --help)`);
  }
  if (values.help) return 'help';
  if (!values.reference) throw new CliError('--reference FILE is required');
  if (!values.current) throw new CliError('--current FILE is required');
  const format = values.format ?? 'json';
  if (format !== 'json' && format !== 'text' && format !== 'html') {
    throw new CliError(`--format must be json, text or html, not "${format}"`);
  }
  const compare: CompareOptions = {};
  if (values.columns !== undefined) {
    const columns = values.columns.split(',').map((c) => c.trim());
    if (columns.some((c) => c === ''))
      throw new CliError(`--columns has an empty column name: "${values.columns}"`);
    compare.columns = columns;
  }
  for (const spec of values['column-type'] ?? []) {
    const [name, type] = splitAssignment(spec, '--column-type', 'NAME=numerical|categorical');
    if (type !== 'numerical' && type !== 'categorical') {
      throw new CliError(`--column-type ${spec}: the type must be numerical or categorical`);
    }
    compare.columnTypes = { ...compare.columnTypes, [name]: type as ColumnType };
  }
  for (const spec of values.method ?? []) {
    const [name, choice] = splitAssignment(spec, '--method', 'NAME=METHOD[:THRESHOLD]');
    compare.methods = { ...compare.methods, [name]: parseMethod(spec, choice) };
  }
  if (values.bins !== undefined) {
    if (!/^\d+$/.test(values.bins) || Number(values.bins) < 1) {
      throw new CliError(`--bins must be a positive integer, not "${values.bins}"`);
    }
    compare.bins = Number(values.bins);
  }
  if (values['drift-share'] !== undefined) {
    const share = parseNumber(values['drift-share']);
    if (share === undefined || share < 0 || share > 1) {
      throw new CliError(`--drift-share must be a number between 0 and 1, not "${values['drift-share']}"`);
    }
    compare.driftShare = share;
  }
  const rule = values['dataset-rule'];
  if (rule !== undefined && rule !== 'share' && rule !== 'fdr') {
    throw new CliError(`--dataset-rule must be share or fdr, not "${rule}"`);
  }
  if (values.alpha !== undefined && rule !== 'fdr') throw new CliError('--alpha needs --dataset-rule fdr');
  if (rule === 'fdr') {
    if (values['drift-share'] !== undefined) {
      throw new CliError('--drift-share applies to --dataset-rule share, not fdr');
    }
    const alpha = values.alpha === undefined ? DEFAULT_FDR_ALPHA : parseNumber(values.alpha);
    if (alpha === undefined || alpha <= 0 || alpha > 1) {
      throw new CliError(`--alpha must be a number above 0 and at most 1, not "${values.alpha}"`);
    }
    compare.datasetRule = { rule: 'fdr', alpha };
  }
  return { reference: values.reference, current: values.current, format, output: values.output, compare };
}

function parse(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      reference: { type: 'string' },
      current: { type: 'string' },
      format: { type: 'string' },
      output: { type: 'string' },
      columns: { type: 'string' },
      'column-type': { type: 'string', multiple: true },
      bins: { type: 'string' },
      method: { type: 'string', multiple: true },
      'drift-share': { type: 'string' },
      'dataset-rule': { type: 'string' },
      alpha: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** "NAME=VALUE", split at the last "=" (column names may contain one). */
function splitAssignment(spec: string, flag: string, shape: string): [string, string] {
  const at = spec.lastIndexOf('=');
  if (at <= 0 || at === spec.length - 1) throw new CliError(`${flag} ${spec}: expected ${shape}`);
  return [spec.slice(0, at), spec.slice(at + 1)];
}

function parseMethod(spec: string, choice: string): MethodChoice {
  const [method, threshold, ...rest] = choice.split(':');
  if (!DRIFT_METHODS.includes(method as DriftMethod)) {
    throw new CliError(`--method ${spec}: unknown method "${method}" (one of ${DRIFT_METHODS.join(', ')})`);
  }
  if (rest.length > 0) throw new CliError(`--method ${spec}: expected NAME=METHOD[:THRESHOLD]`);
  if (threshold === undefined) return { method: method as DriftMethod };
  const value = parseNumber(threshold);
  if (value === undefined || value < 0) {
    throw new CliError(`--method ${spec}: the threshold must be a non-negative number, not "${threshold}"`);
  }
  return { method: method as DriftMethod, threshold: value };
}

function parseNumber(text: string): number | undefined {
  const value = text.trim() === '' ? Number.NaN : Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** Column names given on the command line must exist in one of the files. */
function checkColumnNames(options: CompareOptions, reference: Dataset, current: Dataset): void {
  const known = new Set([...reference.columns, ...current.columns]);
  const check = (name: string, flag: string) => {
    if (!known.has(name)) {
      throw new CliError(
        `${flag}: unknown column "${name}" (neither ${reference.path} nor ${current.path} has it)`,
      );
    }
  };
  for (const name of options.columns ?? []) check(name, '--columns');
  for (const name of Object.keys(options.columnTypes ?? {})) check(name, '--column-type');
  for (const name of Object.keys(options.methods ?? {})) check(name, '--method');
}

/** A library input error with the file and row it came from. */
function locate(error: DriftInputError, reference: Dataset, current: Dataset): string {
  const { side, row } = error.where;
  if (side === undefined) return error.message;
  const dataset = side === 'reference' ? reference : current;
  return row === undefined
    ? `${dataset.path}: ${error.message}`
    : `${dataset.path}, ${dataset.locate(row)}: ${error.message}`;
}

// ---- text output ----

/** A readable table of the columns and the dataset verdict. */
export function renderText(report: DriftReport): string {
  const header = ['Column', 'Type', 'Method', 'Score', 'Threshold', 'Drift', 'Missing ref/cur'];
  const rows = report.columns.map((c) => [
    c.name,
    c.type,
    c.method,
    c.score === null ? '-' : formatNumber(c.score),
    formatNumber(c.threshold),
    verdict(c),
    `${formatPercent(c.reference.missingShare)} / ${formatPercent(c.current.missingShare)}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const numeric = new Set([3, 4]);
  const line = (cells: string[]) =>
    cells
      .map((cell, i) =>
        numeric.has(i) ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number),
      )
      .join('  ')
      .trimEnd();
  const side = (label: string, s: DriftReport['reference']) =>
    `${label} ${s.path ?? '(data)'} (${s.rows} rows)`;
  return [
    side('Reference:', report.reference),
    side('Current:  ', report.current),
    '',
    line(header),
    ...rows.map(line),
    '',
    datasetLine(report),
    '',
  ].join('\n');
}

function verdict(column: ColumnDrift): string {
  if (column.stats === null) return `n/a (${column.reason})`;
  return column.drifted ? 'DRIFT' : 'ok';
}

function datasetLine(report: DriftReport): string {
  const { dataset } = report;
  if (dataset.rule === 'fdr') {
    return `Dataset drift: ${dataset.drifted ? 'YES' : 'no'} (${dataset.rejectedColumns} of ${dataset.columns} columns rejected by Benjamini–Hochberg at FDR ${dataset.alpha}).`;
  }
  return `Dataset drift: ${dataset.drifted ? 'YES' : 'no'} (${dataset.driftedColumns} of ${dataset.columns} columns drifted, ${formatPercent(dataset.driftedShare)}).`;
}

function formatNumber(x: number): string {
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs < 1e-4 || abs >= 1e6) return x.toExponential(3);
  return String(Number(x.toPrecision(4)));
}

function formatPercent(share: number): string {
  return `${Number((share * 100).toPrecision(3))}%`;
}
