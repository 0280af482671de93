import { delimiter } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chromiumVerdict, findChromium, INSTALL_HINT } from '../support/chromium.ts';
import { isCi } from '../support/executables.ts';

/** A file system where exactly `paths` are executable files. */
const executables =
  (...paths: string[]) =>
  (path: string) =>
    paths.includes(path);
const PATH = ['/opt/bin', '/usr/bin'].join(delimiter);

describe('finding Chromium for the browser tests', () => {
  it('takes CHROMIUM_PATH first, before anything on PATH', () => {
    const found = findChromium(
      { CHROMIUM_PATH: '/srv/chrome/chrome', PATH },
      executables('/srv/chrome/chrome', '/usr/bin/chromium'),
    );
    expect(found).toEqual({ found: true, path: '/srv/chrome/chrome' });
  });

  it('does not fall back to PATH when CHROMIUM_PATH names no executable', () => {
    const found = findChromium({ CHROMIUM_PATH: '/nowhere/chrome', PATH }, executables('/usr/bin/chromium'));
    expect(found).toEqual({
      found: false,
      reason: 'CHROMIUM_PATH=/nowhere/chrome is not an executable file',
    });
  });

  it('looks for chromium, then chromium-browser, then google-chrome on PATH', () => {
    const all = ['/opt/bin/google-chrome', '/usr/bin/chromium-browser', '/usr/bin/chromium'];
    expect(findChromium({ PATH }, executables(...all))).toEqual({ found: true, path: '/usr/bin/chromium' });
    expect(findChromium({ PATH }, executables(...all.slice(0, 2)))).toEqual({
      found: true,
      path: '/usr/bin/chromium-browser',
    });
    expect(findChromium({ PATH }, executables('/opt/bin/google-chrome'))).toEqual({
      found: true,
      path: '/opt/bin/google-chrome',
    });
  });

  it('takes the first PATH directory that has the name', () => {
    const found = findChromium({ PATH }, executables('/opt/bin/chromium', '/usr/bin/chromium'));
    expect(found).toEqual({ found: true, path: '/opt/bin/chromium' });
  });

  it('ignores an empty CHROMIUM_PATH and reports what it looked for', () => {
    expect(findChromium({ CHROMIUM_PATH: ' ', PATH }, executables())).toEqual({
      found: false,
      reason:
        'no Chromium: CHROMIUM_PATH is not set and none of chromium, chromium-browser, google-chrome is on PATH',
    });
  });

  it('checks the file system: an executable file is taken, a plain file or a folder is not', () => {
    expect(findChromium({ CHROMIUM_PATH: process.execPath })).toEqual({
      found: true,
      path: process.execPath,
    });
    expect(findChromium({ CHROMIUM_PATH: import.meta.filename })).toMatchObject({ found: false });
    expect(findChromium({ CHROMIUM_PATH: import.meta.dirname })).toMatchObject({ found: false });
  });
});

describe('what the browser tests do with the result', () => {
  const missing = { found: false as const, reason: 'no Chromium' };

  it('run with the browser found', () => {
    expect(chromiumVerdict({ found: true, path: '/usr/bin/chromium' }, { CI: 'true' })).toEqual({
      run: true,
      path: '/usr/bin/chromium',
    });
  });

  it('skip without one, saying how to install it', () => {
    const verdict = chromiumVerdict(missing, {});
    expect(verdict).toEqual({
      run: false,
      message: `Browser tests skipped: no Chromium; to run them, ${INSTALL_HINT}.`,
    });
    expect(INSTALL_HINT).toContain('apt-get install chromium');
    expect(INSTALL_HINT).toContain('CHROMIUM_PATH');
  });

  it('fail without one under CI', () => {
    expect(() => chromiumVerdict(missing, { CI: 'true' })).toThrow(
      /need Chromium under CI: no Chromium; install Chromium/,
    );
    expect(() => chromiumVerdict(missing, { CI: '1' })).toThrow();
    expect(chromiumVerdict(missing, { CI: 'false' })).toMatchObject({ run: false });
    expect([isCi({ CI: 'true' }), isCi({ CI: '' }), isCi({ CI: '0' }), isCi({})]).toEqual([
      true,
      false,
      false,
      false,
    ]);
  });
});
