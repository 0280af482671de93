import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumForTests, launchChromium } from '../support/chromium.ts';
import { type RunningRuntime, spawnRuntime } from '../support/process.ts';

/**
 * `npm start` with its demo, as a newcomer meets it: the runtime seeds `demo-churn`, streams its
 * traffic and shifts it; the scheduled evaluation opens the incident and the console points at
 * the first approval link. From there every step is taken in Chromium with what the
 * pages show: the dashboard's outbox links, the approval forms, the incident page's candidate
 * form, the review form, to a resolved incident. Times are compressed through the environment.
 * Screenshots land in test-results/demo-*.png.
 */
const ROOT = join(import.meta.dirname, '../..');
const RESULTS = join(ROOT, 'test-results');

const chromiumPath = chromiumForTests();

describe.skipIf(!chromiumPath)('npm start with the demo, in a browser', () => {
  let runtime: RunningRuntime;
  let dataDir: string;
  let browser: Browser;
  let page: Page;
  /** Console errors and page errors of every page opened. */
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(RESULTS, { recursive: true });
    dataDir = await mkdtemp(join(tmpdir(), 'vigil-demo-'));
    runtime = await spawnRuntime(
      {
        VIGIL_DATA_DIR: dataDir,
        VIGIL_DEMO: 'true',
        VIGIL_DEMO_SHIFT_SECONDS: '5',
        VIGIL_DEMO_INTERVAL_MS: '400',
        VIGIL_DEMO_STABILISATION_SECONDS: '2',
        VIGIL_SCHEDULER_TICK_SECONDS: '2',
      },
      [],
    );
    browser = await launchChromium(chromiumPath);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning')
        problems.push(`${page.url()}: ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`${page.url()}: page error: ${error.message}`));
  });

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** Polls `probe` (every 200 ms, for at most `ms`) until it answers something. */
  async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, ms: number) {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = await probe();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${runtime.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Reloads `path` until `locate` finds something on it, as a person refreshing the page would. */
  async function reloadUntil(path: string, locate: (page: Page) => Locator, what: string): Promise<Locator> {
    return waitFor(
      async () => {
        await page.goto(`${runtime.url}${path}`);
        const found = locate(page);
        return (await found.count()) > 0 ? found.first() : undefined;
      },
      what,
      30_000,
    );
  }

  /** The newest email on the dashboard to `to` whose subject matches, and its approval link. */
  function approvalLink(to: string, subject: string) {
    return (p: Page) =>
      p
        .locator('section[aria-labelledby=outbox] tbody tr', { hasText: to })
        .filter({ hasText: subject })
        .locator('a[href*="/approvals/"]');
  }

  /** Follows the email's link from the dashboard, picks the option, and submits the form. */
  async function decide(to: string, subject: string, decision: string, fields: Record<string, string> = {}) {
    const link = await reloadUntil('/', approvalLink(to, subject), `the email to ${to}: ${subject}`);
    await link.click();
    expect(await page.locator('form').count()).toBe(1);
    for (const [name, value] of Object.entries(fields)) await page.locator(`#${name}`).fill(value);
    await page.locator(`input[name=decision][value=${decision}]`).check();
    await page.screenshot({
      path: join(RESULTS, `demo-${decision}-${to.split('@')[0]}.png`),
      fullPage: true,
    });
    await page.getByRole('button', { name: 'Submit my decision' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Thank you');
  }

  it('walks the demo incident from the first approval link on the console to resolved', async () => {
    // Prepare: the console's pointer at the first approval link.
    const first = await waitFor(
      () => /Open this link to decide: (http:\/\/\S+\/approvals\/\S+)/.exec(runtime.output())?.[1],
      'the first approval link on the console',
      150_000,
    );
    await page.goto(`${runtime.url}/`);
    const model = page.locator('section[aria-labelledby=models] tbody tr', { hasText: 'demo-churn' });
    expect(await model.count()).toBe(1);
    const incidentRow = page.locator('section[aria-labelledby=incidents] tbody tr', {
      hasText: 'demo-churn',
    });
    expect((await incidentRow.locator('td').allTextContents()).slice(0, 3)).toEqual([
      'demo-churn',
      'open',
      'investigate',
    ]);
    const incidentId = (await incidentRow.locator('th').textContent()) as string;
    expect(incidentId).toMatch(/^inc_[0-9a-f]{20}$/);
    expect(
      await page.locator('section[aria-labelledby=evaluations] tbody tr', { hasText: 'breach' }).count(),
    ).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: join(RESULTS, 'demo-overview.png'), fullPage: true });

    // Act: the Data Science Lead follows the console's link and asks for retraining.
    await page.goto(first);
    expect(await page.title()).toContain('Investigate the alert');
    await page.locator('input[name=decision][value=retrain]').check();
    await page.locator('#comment').fill('monthly_charges and support_calls moved; accuracy fell.');
    await page.screenshot({ path: join(RESULTS, 'demo-investigate.png'), fullPage: true });
    await page.getByRole('button', { name: 'Submit my decision' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Thank you');

    // Act: the candidate, through the incident page's form, reached from the dashboard.
    await reloadUntil(
      '/',
      (p) => p.locator('section[aria-labelledby=outbox] tbody tr', { hasText: 'Retrain the model' }),
      'the retraining request',
    );
    await page.locator('section[aria-labelledby=incidents]').getByRole('link', { name: incidentId }).click();
    expect(new URL(page.url()).pathname).toBe(`/dashboard/incidents/${incidentId}`);
    await page.locator('#version').fill('1.1.0');
    await page.locator('#artifactUri').fill('s3://models/demo-churn/1.1.0');
    await page.locator('#metrics').fill('accuracy=0.91\nf1=0.86');
    expect(await page.locator('#scopeChanged').isChecked()).toBe(false);
    await page.locator('#notes').fill('Retrained on the last hour of traffic.');
    await page.screenshot({ path: join(RESULTS, 'demo-candidate.png'), fullPage: true });
    await page.getByRole('button', { name: 'Submit the candidate' }).click();
    expect(new URL(page.url()).pathname).toBe(`/dashboard/incidents/${incidentId}`);
    expect(await page.locator('section[aria-labelledby=candidates] tbody th').textContent()).toBe('1.1.0');

    // Act: re-validation passes; QA approves; promotion, support's notice, stabilisation; Operations.
    await decide('qa@example.com', 'QA validation', 'approve', { comment: 'Regression suite green.' });
    await reloadUntil(
      '/',
      (p) =>
        p.locator('section[aria-labelledby=outbox] tbody tr', { hasText: 'support@example.com' }).filter({
          hasText: '1.1.0',
        }),
      'the notice to Technical Support',
    );
    await decide('ops@example.com', 'Operations verification', 'confirm');

    // Act: the post-implementation review and its sign-off.
    await decide('dsl@example.com', 'Post-implementation review', 'submit', {
      summary: 'Price change shifted charges and support calls; retrained 1.1.0 is live.',
      rootCause: 'A price increase changed the customer population.',
      lessonsLearned: 'Share pricing changes with the data science team.',
      actions: 'DSL: add pricing events to the feature store.',
    });
    await decide('irb@example.com', 'Sign-off of the post-implementation review', 'approve');

    // Assess: resolved on the dashboard, 1.1.0 in production, the incident page's timeline.
    const resolved = await reloadUntil(
      '/',
      (p) =>
        p.locator('section[aria-labelledby=incidents] tbody tr', { hasText: incidentId }).filter({
          hasText: 'resolved',
        }),
      'the resolved incident',
    );
    expect((await resolved.locator('td').allTextContents()).slice(0, 3)).toEqual([
      'demo-churn',
      'resolved',
      'closed',
    ]);
    expect((await model.locator('td').allTextContents())[1]).toBe('1.1.0');
    expect(await resolved.getByRole('link', { name: 'evidence' }).getAttribute('href')).toBe(
      `/dashboard/incidents/${incidentId}/evidence`,
    );
    await page.screenshot({ path: join(RESULTS, 'demo-resolved.png'), fullPage: true });
    await page.locator('section[aria-labelledby=incidents]').getByRole('link', { name: incidentId }).click();
    const timeline = await page.locator('ol.timeline').textContent();
    for (const step of ['investigate', 'retraining', 'revalidation', 'qa', 'promotion', 'support_notice']) {
      expect(timeline).toContain(`${step} left`);
    }
    for (const step of ['stabilisation', 'operations', 'pir', 'pir_signoff', 'closed']) {
      expect(timeline).toContain(`${step} entered`);
    }
    await page.screenshot({ path: join(RESULTS, 'demo-incident.png'), fullPage: true });

    // Assess: the resolved incident links its signed evidence, which verifies.
    await page.getByRole('link', { name: 'evidence', exact: true }).click();
    expect(page.url()).toBe(`${runtime.url}/dashboard/incidents/${incidentId}/evidence`);
    expect(await page.locator('p.notice').first().textContent()).toMatch(/^Verified\. All \d+ events/);
    expect(await page.locator('table tbody tr', { hasText: 'incident.closed' }).count()).toBe(1);
    expect(problems).toEqual([]);
    expect(runtime.output()).toContain('Demo: retraining requested.');
    expect(runtime.output()).toMatch(
      /Demo: the incident inc_[0-9a-f]{20} is resolved; the demo stops streaming/,
    );
    expect(runtime.output()).not.toMatch(/vigil demo:|vigil: request failed|scheduled evaluation failed/);
  }, 240_000);

  it('opens every link of every email the demo sent, in the browser, for its recipient', async () => {
    const outbox = (await fetch(`${runtime.url}/_local/outbox`).then((r) => r.json())) as {
      to: string;
      subject: string;
      links: string[];
    }[];
    const statuses: string[] = [];
    for (const message of outbox) {
      for (const link of message.links) {
        const response = await page.goto(link);
        const path = new URL(link).pathname;
        const status = response?.status();
        if (path.startsWith('/views/')) {
          expect(status, `${message.subject}: ${path}`).toBe(200);
        } else {
          // An approval link shows its form, or the decision once taken (200); closed ones 409/410.
          expect([200, 409, 410], `${message.subject}: ${path}`).toContain(status);
        }
        if (path.startsWith('/views/incidents/')) {
          expect(await page.getByText(`Read-only view for ${message.to}`).isVisible()).toBe(true);
          if (!statuses.some((s) => s.startsWith('views/incidents'))) {
            await page.screenshot({ path: join(RESULTS, 'demo-incident-view.png'), fullPage: true });
          }
        }
        statuses.push(`${path.split('/').slice(1, 3).join('/')} ${status}`);
      }
    }
    expect(statuses).toEqual(expect.arrayContaining(['views/incidents 200', 'views/evaluations 200']));
    expect(statuses.filter((s) => s.startsWith('approvals/')).length).toBeGreaterThanOrEqual(5);
  });

  it('registers, fits and streams nothing again when restarted on the finished demo', async () => {
    // Prepare
    await runtime.stop();

    // Act
    runtime = await spawnRuntime({ VIGIL_DATA_DIR: dataDir, VIGIL_DEMO: 'true' }, []);
    const finished = await waitFor(
      () =>
        /Demo: the incident of demo-churn is resolved; nothing more to stream.*/.exec(runtime.output())?.[0],
      'the finished demo’s notice',
      20_000,
    );
    const adminKey = /admin key: (\S+)/.exec(runtime.output())?.[1] as string;
    const listed = await fetch(`${runtime.url}/v1/incidents?modelId=demo-churn`, {
      headers: { 'x-api-key': adminKey },
    }).then((r) => r.json() as Promise<{ incidents: { status: string }[] }>);

    // Assess
    expect(finished).toContain('delete the data dir to run the demo again');
    expect(runtime.output()).toContain(
      'demo-churn is already in the data dir; nothing registered or fitted again',
    );
    expect(runtime.output()).not.toMatch(/registered the model|fitted the baseline|streaming predictions/);
    expect(listed.incidents.map((i) => i.status)).toEqual(['resolved']);
  });
});
