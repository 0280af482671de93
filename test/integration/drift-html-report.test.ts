import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumForTests, launchChromium } from '../support/chromium.ts';

/**
 * The HTML report of `vigil drift`, opened in Chromium: it loads without console or
 * page errors and without any request beyond the file itself, and draws one chart per column.
 * A screenshot lands in test-results/drift-report.png for a human look.
 */
const ROOT = join(import.meta.dirname, '../..');
const SCREENSHOT = join(ROOT, 'test-results', 'drift-report.png');
const COLUMNS = ['age', 'income', 'tenure_months', 'plan', 'region', 'channel'];

/** A small seeded generator (mulberry32), so the report looks the same on every run. */
function seeded(seed: number) {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const pick = (items: string[], weights: number[]) => {
    let u = uniform() * weights.reduce((a, b) => a + b, 0);
    for (const [i, w] of weights.entries()) {
      u -= w;
      if (u <= 0) return items[i] as string;
    }
    return items[items.length - 1] as string;
  };
  return { uniform, normal, pick };
}

function customers(n: number, drift: boolean, seed: number): string {
  const r = seeded(seed);
  const lines = [COLUMNS.join(',')];
  for (let i = 0; i < n; i++) {
    const age = (drift ? 46 : 41) + 11 * r.normal();
    const income = Math.exp(10.4 + 0.5 * r.normal());
    const tenure = r.uniform() < 0.1 ? '' : Math.floor(r.uniform() * (drift ? 30 : 48));
    const plan = r.pick(['basic', 'pro', 'team', 'enterprise'], drift ? [3, 3, 2, 2] : [5, 3, 2, 0]);
    const region = r.pick(['north', 'south', 'east', 'west'], [1, 1, 1, 1]);
    const channel = r.pick(['web', 'app', 'partner'], drift ? [3, 5, 2] : [5, 4, 1]);
    lines.push([age.toFixed(1), income.toFixed(2), tenure, plan, region, channel].join(','));
  }
  return `${lines.join('\n')}\n`;
}

const chromiumPath = chromiumForTests();

describe.skipIf(!chromiumPath)('vigil drift --format html in a browser', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-drift-html-'));
  const report = join(dir, 'report.html');
  let browser: Browser;

  beforeAll(async () => {
    const reference = join(dir, 'reference.csv');
    const current = join(dir, 'current.csv');
    writeFileSync(reference, customers(2000, false, 1));
    writeFileSync(current, customers(1500, true, 2));
    const run = promisify(execFile)(
      process.execPath,
      [
        'cli/vigil.mjs',
        'drift',
        '--reference',
        reference,
        '--current',
        current,
        '--format',
        'html',
        '--output',
        report,
      ],
      { cwd: ROOT },
    );
    // Exit status 1 means dataset drift, which this data has.
    await run.catch((error: { code?: number }) => {
      if (error.code !== 1) throw error;
    });
    browser = await launchChromium(chromiumPath);
  });

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads cleanly, draws one chart per column and is screenshotted', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning')
        problems.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => requests.push(request.url()));

    const url = pathToFileURL(report).href;
    await page.goto(url, { waitUntil: 'load' });

    expect(problems).toEqual([]);
    expect(requests).toEqual([url]);
    expect(await page.title()).toContain('Drift:');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('svg.chart').count()).toBe(COLUMNS.length);
    for (const column of COLUMNS) {
      const chart = page.locator(`svg.chart[data-column="${column}"]`);
      expect(await chart.count(), column).toBe(1);
      expect(await chart.getAttribute('role')).toBe('img');
      expect(await chart.locator('rect').count(), column).toBeGreaterThan(2);
      const box = await chart.boundingBox();
      expect(box?.width, column).toBeGreaterThan(300);
    }
    expect(await page.locator('table.summary tbody tr').count()).toBe(COLUMNS.length);
    expect(await page.getByText('Dataset drift detected').count()).toBe(1);

    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.close();
  });
});
