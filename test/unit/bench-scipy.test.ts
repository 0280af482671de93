import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { checkScipy } from '../../bench/scipy.ts';

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'vigil-scipy-'));

/** A stand-in interpreter: a shell script that prints `stderr` and exits with `status`. */
function fakePython(name: string, status: number, stderr = ''): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\nprintf '%s\\n' "${stderr}" >&2\nexit ${status}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('the drift benchmark without SciPy', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('says which module is missing and how to install it', () => {
    const python = fakePython('no-scipy', 1, "ModuleNotFoundError: No module named 'scipy'");
    const check = checkScipy(python);
    expect(check).toEqual({
      available: false,
      message: expect.stringContaining(`SciPy not found: ${python} has no scipy; timing Vigil alone.`),
    });
    expect(JSON.stringify(check)).toContain('apt-get install python3-scipy');
  });

  it('says when the interpreter itself is missing', () => {
    expect(checkScipy(join(dir, 'absent-python'))).toEqual({
      available: false,
      message: expect.stringMatching(/absent-python cannot be run \(ENOENT\).*apt-get install python3-scipy/),
    });
  });

  it('goes ahead when SciPy imports', () => {
    expect(checkScipy(fakePython('with-scipy', 0))).toEqual({ available: true });
  });

  it('prints the message on stderr and times Vigil alone', async () => {
    const run = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/drift.ts',
        '--n',
        '500',
        '--repeats',
        '1',
        '--python',
        join(dir, 'absent-python'),
      ],
      { cwd: ROOT },
    );
    expect(run.stderr).toMatch(/SciPy not found: .*apt-get install python3-scipy/);
    expect(run.stdout).toContain('SciPy not found, Vigil only');
    expect(run.stdout).toMatch(/KS \(ks_2samp, sorts included\)\s+\d+\s+-\s+-/);
  }, 30_000);
});
