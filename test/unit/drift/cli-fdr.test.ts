import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';

/** `vigil drift --dataset-rule fdr`, run in-process through `main` (what the executable runs). */
const dir = mkdtempSync(join(tmpdir(), 'vigil-drift-fdr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../fixtures/fdr/columns.json'), 'utf8'),
) as {
  columns: string[];
  reference: Record<string, unknown>[];
  current: Record<string, unknown>[];
  adjusted: number[];
  rejectedColumns: number;
  drifted: boolean;
};

function jsonl(name: string, rows: Record<string, unknown>[]): string {
  const path = join(dir, name);
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n'));
  return path;
}

const reference = jsonl('ref.jsonl', fixture.reference);
const current = jsonl('cur.jsonl', fixture.current);
const types = fixture.columns.flatMap((c) => [
  '--column-type',
  `${c}=${c.startsWith('x') ? 'numerical' : 'categorical'}`,
]);

async function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    ['drift', '--reference', reference, '--current', current, ...types, ...args],
    (t) => out.push(t),
    (t) => err.push(t),
  );
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('vigil drift --dataset-rule fdr', () => {
  it('adds adjustedPValue to every column and the rule and alpha to the dataset, as the fixture has them', async () => {
    const result = await run('--dataset-rule', 'fdr', '--alpha', '0.05');
    const report = JSON.parse(result.stdout);
    expect(result.code).toBe(fixture.drifted ? 1 : 0);
    expect(report.dataset).toMatchObject({
      rule: 'fdr',
      alpha: 0.05,
      rejectedColumns: fixture.rejectedColumns,
      drifted: fixture.drifted,
    });
    report.columns.forEach((column: { adjustedPValue: number }, i: number) => {
      expect(Math.abs(column.adjustedPValue - (fixture.adjusted[i] as number))).toBeLessThanOrEqual(1e-9);
    });
  });

  it('defaults alpha to 0.05, and a smaller alpha rejects fewer columns', async () => {
    const byDefault = JSON.parse((await run('--dataset-rule', 'fdr')).stdout);
    expect(byDefault.dataset.alpha).toBe(0.05);
    const strict = JSON.parse((await run('--dataset-rule', 'fdr', '--alpha', '1e-20')).stdout);
    expect(strict.dataset.rejectedColumns).toBe(fixture.adjusted.filter((q) => q <= 1e-20).length);
    expect(strict.dataset.rejectedColumns).toBeLessThan(byDefault.dataset.rejectedColumns);
  });

  it('keeps the share rule unchanged by default and says the rule in text output', async () => {
    const share = JSON.parse((await run()).stdout);
    expect(share.dataset.rule).toBeUndefined();
    expect(share.columns[0].adjustedPValue).toBeUndefined();
    const text = (await run('--dataset-rule', 'fdr', '--format', 'text')).stdout;
    expect(text).toContain(
      `${fixture.rejectedColumns} of ${fixture.columns.length} columns rejected by Benjamini–Hochberg at FDR 0.05`,
    );
  });

  it.each([
    [['--dataset-rule', 'vote'], '--dataset-rule must be share or fdr, not "vote"'],
    [['--alpha', '0.1'], '--alpha needs --dataset-rule fdr'],
    [['--dataset-rule', 'fdr', '--alpha', '0'], '--alpha must be a number above 0 and at most 1'],
    [['--dataset-rule', 'fdr', '--alpha', 'x'], '--alpha must be a number above 0 and at most 1'],
    [['--dataset-rule', 'fdr', '--drift-share', '0.3'], '--drift-share applies to --dataset-rule share'],
  ])('rejects %j with status 2 and one line', async (flags, message) => {
    const result = await run(...flags);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(message);
  });

  it('documents the flags in --help', async () => {
    const out: string[] = [];
    expect(
      await main(
        ['drift', '--help'],
        (t) => out.push(t),
        () => undefined,
      ),
    ).toBe(0);
    expect(out.join('')).toContain('--dataset-rule share|fdr');
    expect(out.join('')).toContain('--alpha A');
  });
});
