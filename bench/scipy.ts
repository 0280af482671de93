import { spawnSync } from 'node:child_process';

/** The Python the SciPy side of the drift benchmark runs with: Debian's, which packages SciPy 1.10. */
export const DEFAULT_PYTHON = '/usr/bin/python3';

export const SCIPY_INSTALL_HINT =
  'apt-get install python3-scipy (Debian/Ubuntu; the benchmark runs /usr/bin/python3, or the --python given)';

export type ScipyCheck = { available: true } | { available: false; message: string };

/**
 * Whether `python` can import NumPy and SciPy; when it cannot, a message that says why and how to
 * install them, for the benchmark to print instead of silently timing Vigil alone.
 */
export function checkScipy(python: string = DEFAULT_PYTHON): ScipyCheck {
  const run = spawnSync(python, ['-c', 'import numpy, scipy'], { encoding: 'utf8' });
  if (run.status === 0) return { available: true };
  const why = run.error
    ? `${python} cannot be run (${(run.error as NodeJS.ErrnoException).code ?? run.error.message})`
    : `${python} has no ${/No module named '(\w+)'/.exec(run.stderr)?.[1] ?? 'SciPy'}`;
  return {
    available: false,
    message: `SciPy not found: ${why}; timing Vigil alone. To compare with SciPy in the same run: ${SCIPY_INSTALL_HINT}.`,
  };
}
