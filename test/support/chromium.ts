import { type Browser, chromium } from 'playwright-core';
import { it } from 'vitest';
import { findOnPath, isCi, isExecutableFile } from './executables.ts';

/** The executables looked for on PATH, in this order, when CHROMIUM_PATH is not set. */
export const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome'] as const;

export const INSTALL_HINT =
  'install Chromium (Debian/Ubuntu: apt-get install chromium; macOS: brew install --cask chromium) ' +
  'or set CHROMIUM_PATH to a Chromium or Chrome executable';

export type ChromiumDiscovery = { found: true; path: string } | { found: false; reason: string };

/**
 * Where the browser tests find Chromium: `CHROMIUM_PATH` when it is set (and then only there),
 * else the first of `chromium`, `chromium-browser`, `google-chrome` found on PATH.
 */
export function findChromium(
  env: NodeJS.ProcessEnv = process.env,
  isExecutable: (path: string) => boolean = isExecutableFile,
): ChromiumDiscovery {
  const configured = env.CHROMIUM_PATH?.trim();
  if (configured) {
    return isExecutable(configured)
      ? { found: true, path: configured }
      : { found: false, reason: `CHROMIUM_PATH=${configured} is not an executable file` };
  }
  for (const name of CHROMIUM_NAMES) {
    const path = findOnPath(name, env, isExecutable);
    if (path) return { found: true, path };
  }
  return {
    found: false,
    reason: `no Chromium: CHROMIUM_PATH is not set and none of ${CHROMIUM_NAMES.join(', ')} is on PATH`,
  };
}

export type ChromiumVerdict = { run: true; path: string } | { run: false; message: string };

/** What the browser tests do: run, or skip with a message saying how to get a browser; under CI a missing browser throws. */
export function chromiumVerdict(
  discovery: ChromiumDiscovery,
  env: NodeJS.ProcessEnv = process.env,
): ChromiumVerdict {
  if (discovery.found) return { run: true, path: discovery.path };
  if (isCi(env))
    throw new Error(`The browser tests need Chromium under CI: ${discovery.reason}; ${INSTALL_HINT}.`);
  return { run: false, message: `Browser tests skipped: ${discovery.reason}; to run them, ${INSTALL_HINT}.` };
}

/**
 * The Chromium of this machine for a browser test file, or `undefined` after registering a
 * skipped test that says why (and printing it). Wrap the file's suite in
 * `describe.skipIf(!chromiumPath)`; under CI a missing browser fails the file.
 */
export function chromiumForTests(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const verdict = chromiumVerdict(findChromium(env), env);
  if (verdict.run) return verdict.path;
  console.warn(verdict.message);
  it('runs in Chromium', ({ skip }) => skip(verdict.message));
  return undefined;
}

/** Headless Chromium as every browser test starts it. */
export function launchChromium(executablePath: string | undefined): Promise<Browser> {
  if (!executablePath) throw new Error('launchChromium: no Chromium (the suite should have been skipped)');
  return chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
