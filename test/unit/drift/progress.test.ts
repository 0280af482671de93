import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROGRESS_MIN_ROWS, runDrift } from '../../../cli/drift.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-drift-progress-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A CSV of `rows` rows: a numerical column and a categorical one. */
function csv(name: string, rows: number, shift: number): string {
  const lines = ['x,plan'];
  for (let i = 0; i < rows; i++) lines.push(`${(i % 997) + shift},${i % 3 === 0 ? 'pro' : 'basic'}`);
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const large = csv('large.csv', PROGRESS_MIN_ROWS + 1, 0);
const largeShifted = csv('large-shifted.csv', PROGRESS_MIN_ROWS + 1, 50);
const small = csv('small.csv', 2_000, 50);

function drift(terminal: boolean, ...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = runDrift(
    args,
    (text) => {
      stdout += text;
    },
    (text) => {
      stderr += text;
    },
    terminal,
  );
  return { code, stdout, stderr };
}

// Each case profiles over 100,000 rows twice; with test files in parallel a core may be shared.
describe('vigil drift progress', { timeout: 30_000 }, () => {
  it('on a terminal, over 100,000 rows: on standard error, column by column, cleared at the end', () => {
    const run = drift(true, '--reference', large, '--current', largeShifted);
    const updates = run.stderr.split('\r\x1b[K');
    expect(updates).toEqual([
      '',
      `Read 100,001 rows of ${large}; reading ${largeShifted}...`,
      'Comparing 100,001 and 100,001 rows: column 1 of 2 (x)...',
      'Comparing 100,001 and 100,001 rows: column 2 of 2 (plan)...',
      '',
    ]);
    // Standard output is the JSON report alone.
    expect(JSON.parse(run.stdout).current.rows).toBe(PROGRESS_MIN_ROWS + 1);
  });

  it('when only the current input is large, from the comparison on, cleared before the summary of --output', () => {
    const output = join(dir, 'report.txt');
    const run = drift(true, '--reference', small, '--current', large, '--format', 'text', '--output', output);
    const updates = run.stderr.split('\r\x1b[K');
    expect(updates.slice(0, -1)).toEqual([
      '',
      'Comparing 2,000 and 100,001 rows: column 1 of 2 (x)...',
      'Comparing 2,000 and 100,001 rows: column 2 of 2 (plan)...',
    ]);
    expect(updates.at(-1)).toMatch(/^Dataset drift: .* Report written to .*report\.txt\.\n$/);
    expect(run.stdout).toBe('');
  });

  it('says nothing when standard error is not a terminal, or the inputs are small', () => {
    const piped = drift(false, '--reference', large, '--current', largeShifted);
    expect(piped.stderr).toBe('');
    expect(JSON.parse(piped.stdout).reference.rows).toBe(PROGRESS_MIN_ROWS + 1);
    expect(drift(true, '--reference', small, '--current', small).stderr).toBe('');
  });

  it('leaves no progress behind when the input is refused', () => {
    let stderr = '';
    const refused = () =>
      runDrift(
        ['--reference', large, '--current', largeShifted, '--columns', 'nope'],
        () => {},
        (text) => {
          stderr += text;
        },
        true,
      );
    expect(refused).toThrow(/--columns: unknown column "nope"/);
    expect(stderr).toBe(`\r\x1b[KRead 100,001 rows of ${large}; reading ${largeShifted}...\r\x1b[K`);
  });
});
