import { mkdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { OutboxMessage } from '../../local/outbox.ts';
import { approvers, startTestApi, type TestApi } from '../support/api.ts';
import { chromiumForTests, launchChromium } from '../support/chromium.ts';

/**
 * The local dashboard in Chromium, over a runtime in this process: a model whose window
 * drifted, its breach evaluation and the incident it opened, the incident's timeline, the
 * evaluation's report, the approval link followed from the outbox, and the candidate form
 * refused and then accepted. No page logs a console error; screenshots land in
 * test-results/dashboard-*.png for a human look.
 */
const ROOT = join(import.meta.dirname, '../..');
const RESULTS = join(ROOT, 'test-results');
const MODEL = 'churn-dash';
const FEATURES = ['age', 'plan'];

/** A seeded generator (LCG), so the data and the screenshots are the same on every run. */
function rng(seed: number) {
  let s = seed >>> 0;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

function rows(n: number, seed: number, shift: { age: number; plans: string[] }) {
  const r = rng(seed);
  return Array.from({ length: n }, () => ({
    features: {
      age: Math.round((40 + shift.age + 10 * r.normal()) * 10) / 10,
      plan: shift.plans[Math.floor(r.uniform() * shift.plans.length)] as string,
    },
    prediction: r.uniform() < 0.3 ? 'churn' : 'stay',
  }));
}

/** Polls `probe` until it answers something (every 100 ms, for at most `ms`). */
async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const chromiumPath = chromiumForTests();

describe.skipIf(!chromiumPath)('the local dashboard in a browser', () => {
  let api: TestApi;
  let browser: Browser;
  let incidentId: string;
  let evaluationId: string;
  /** Console errors and page errors of every page opened. */
  const problems: string[] = [];

  async function open(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning')
        problems.push(`${page.url()}: ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`${page.url()}: page error: ${error.message}`));
    return page;
  }

  function outbox(): readonly OutboxMessage[] {
    return api.runtime.governance.outbox.list();
  }

  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    mkdirSync(RESULTS, { recursive: true });
    api = await startTestApi();
    browser = await launchChromium(chromiumPath);

    // A model with two features, a baseline, production 1.0.0, and a drifted window.
    const model = await api.call('PUT', `/v1/models/${MODEL}`, {
      body: {
        name: 'Churn <predictor>',
        owner: 'ds@example.com',
        task: 'classification',
        features: [
          { name: 'age', type: 'numerical' },
          { name: 'plan', type: 'categorical' },
        ],
        schedule: { every: 'PT1H', window: 'PT1H', minSamples: 100 },
        approvers,
      },
    });
    expect(model.status).toBe(201);
    const same = { age: 0, plans: ['basic', 'basic', 'plus', 'pro'] };
    const baseline = await api.call('PUT', `/v1/models/${MODEL}/baseline`, {
      body: { records: rows(1500, 1, same) },
    });
    expect(baseline.status).toBe(201);
    const version = await api.call('POST', `/v1/models/${MODEL}/versions`, {
      body: { version: '1.0.0', artifactUri: 's3://models/churn/1.0.0', metrics: { accuracy: 0.9 } },
    });
    expect(version.status).toBe(201);
    const sent = await api.call('POST', `/v1/models/${MODEL}/predictions`, {
      body: { records: rows(600, 2, { age: 15, plans: ['pro', 'pro', 'pro', 'enterprise'] }) },
    });
    expect(sent.status).toBe(202);

    const evaluation = await api.call('POST', `/v1/models/${MODEL}/evaluations`);
    expect(evaluation.body.status).toBe('breach');
    incidentId = evaluation.body.incidentId;
    evaluationId = evaluation.body.evaluationId;
    await waitFor(
      () =>
        outbox().find((m) => m.to === 'dsl@example.com' && m.links.some((l) => l.includes('/approvals/'))),
      'the Data Science Lead’s approval email',
    );
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    vi.restoreAllMocks();
  });

  it('shows the model, the breach evaluation, the incident and the outbox on /', async () => {
    // Prepare
    const page = await open();

    // Act
    const response = await page.goto(`${api.url}/`);

    // Assess
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'",
    );
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.title()).toBe('Overview · Vigil dashboard');
    expect(await page.locator('main').count()).toBe(1);
    expect(await page.getByRole('heading', { level: 2 }).allTextContents()).toEqual([
      'Models',
      'Evaluations',
      'Incidents',
      'Delivery',
      'Outbox',
    ]);
    const modelRow = page.locator('#models ~ .table tbody tr', { hasText: MODEL });
    expect(await modelRow.count()).toBe(1);
    // The model's name is escaped, not markup.
    expect(await modelRow.locator('th').textContent()).toBe('Churn <predictor>churn-dash');
    const cells = await modelRow.locator('td').allTextContents();
    expect(cells.slice(0, 3)).toEqual(['ds@example.com', '1.0.0', 'v1, 0 days old']);
    expect(cells[3]).toMatch(/^breach report/);
    expect(await modelRow.getByRole('link', { name: incidentId }).count()).toBe(1);
    const evaluationRow = page.locator('section[aria-labelledby=evaluations] tbody tr');
    expect(await evaluationRow.count()).toBe(1);
    expect(await evaluationRow.textContent()).toContain('Data drift in 2 of 2 features');
    expect(await evaluationRow.getByRole('link').first().getAttribute('href')).toBe(
      `/dashboard/evaluations/${evaluationId}`,
    );
    const incidentRow = page.locator('section[aria-labelledby=incidents] tbody tr');
    expect(await incidentRow.count()).toBe(1);
    expect((await incidentRow.locator('td').allTextContents()).slice(0, 3)).toEqual([
      MODEL,
      'open',
      'investigate',
    ]);
    const deliveryRow = page.locator('section[aria-labelledby=delivery] tbody tr', {
      hasText: 'dsl@example.com',
    });
    expect(await deliveryRow.locator('td').allTextContents()).toEqual(['confirmed', MODEL]);
    const approvalLinks = page.locator('section[aria-labelledby=outbox] a[href*="/approvals/"]');
    expect(await approvalLinks.count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('th[scope=col]').count()).toBeGreaterThan(10);
    expect(await page.locator('footer').textContent()).toContain('Local-only dashboard');
    await page.screenshot({ path: join(RESULTS, 'dashboard-overview.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows the incident with its timeline and links to the evaluation report with one chart per feature', async () => {
    // Prepare
    const page = await open();
    await page.goto(`${api.url}/`);

    // Act
    await page.locator('section[aria-labelledby=incidents]').getByRole('link', { name: incidentId }).click();

    // Assess
    expect(new URL(page.url()).pathname).toBe(`/dashboard/incidents/${incidentId}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(`Incident ${incidentId}`);
    const timeline = page.locator('ol.timeline li');
    const steps = await timeline.allTextContents();
    expect(steps[0]).toMatch(/opened entered/);
    expect(steps.some((s) => /investigate entered/.test(s))).toBe(true);
    expect(await page.locator('section[aria-labelledby=audit] tbody th').allTextContents()).toContain(
      'step.entered',
    );
    const approvals = page.locator('section[aria-labelledby=approvals] tbody tr');
    expect(await approvals.first().locator('th').textContent()).toBe('investigate');
    expect((await approvals.first().locator('td').allTextContents()).slice(0, 2)).toEqual([
      'pending',
      'dsl@example.com',
    ]);
    // No candidate is awaited yet: no form.
    expect(await page.locator('form').count()).toBe(0);
    await page.screenshot({ path: join(RESULTS, 'dashboard-incident.png'), fullPage: true });

    // Act: the evaluation that opened it
    await page.locator('section[aria-labelledby=summary]').getByRole('link').first().click();

    // Assess
    expect(new URL(page.url()).pathname).toBe(`/dashboard/evaluations/${evaluationId}`);
    expect(await page.title()).toContain(`(${MODEL}): breach`);
    expect(await page.locator('svg.chart').count()).toBe(FEATURES.length);
    for (const feature of FEATURES) {
      expect(await page.locator(`svg.chart[data-column="${feature}"]`).count(), feature).toBe(1);
    }
    await page.screenshot({ path: join(RESULTS, 'dashboard-evaluation.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('follows the approval link from the outbox, then refuses a bad candidate and accepts a good one', async () => {
    // Prepare: the Data Science Lead follows their link and asks for retraining.
    const page = await open();
    await page.goto(`${api.url}/`);
    const link = page
      .locator('section[aria-labelledby=outbox] tbody tr', { hasText: 'dsl@example.com' })
      .locator('a[href*="/approvals/"]')
      .first();
    await link.click();
    await page.locator('input[name=decision][value=retrain]').check();
    await page.locator('#comment').fill('Real drift in age and plan.');
    await page.getByRole('button', { name: 'Submit my decision' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Thank you');
    await waitFor(
      () => outbox().find((m) => m.to === 'dev@example.com' && /Retrain the model/.test(m.subject)),
      'the retraining request',
    );

    // Act: a candidate older than production and a metrics line that is no number
    await page.goto(`${api.url}/dashboard/incidents/${incidentId}`);
    await page.locator('#version').fill('0.9.0');
    await page.locator('#artifactUri').fill('s3://models/churn/0.9.0');
    await page.locator('#metrics').fill('accuracy=0.93\nf1=high');
    const refused = page.waitForResponse((r) => r.url().endsWith('/candidate'));
    await page.getByRole('button', { name: 'Submit the candidate' }).click();

    // Assess: 400, the form as typed, the problem named at its field
    expect((await refused).status()).toBe(400);
    expect(await page.locator('#metrics').inputValue()).toBe('accuracy=0.93\nf1=high');
    expect(await page.locator('#metrics').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.error').allTextContents()).toEqual([
      'line 2: f1 is not a finite number ("high")',
    ]);
    await page.screenshot({ path: join(RESULTS, 'dashboard-candidate-errors.png'), fullPage: true });

    // Act: the use case refuses a version older than production
    await page.locator('#metrics').fill('accuracy=0.93\nf1=0.9');
    const older = page.waitForResponse((r) => r.url().endsWith('/candidate'));
    await page.getByRole('button', { name: 'Submit the candidate' }).click();

    // Assess
    expect((await older).status()).toBe(400);
    expect(await page.locator('#version').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('[role=alert]').textContent()).toContain(
      'The candidate must be newer than production',
    );

    // Act: a good candidate
    await page.locator('#version').fill('1.1.0');
    await page.locator('#artifactUri').fill('s3://models/churn/1.1.0');
    await page.locator('#notes').fill('Retrained on the last 30 days.');
    await page.getByRole('button', { name: 'Submit the candidate' }).click();

    // Assess: back on the incident page, the candidate recorded, the step left by the admin
    expect(new URL(page.url()).pathname).toBe(`/dashboard/incidents/${incidentId}`);
    const candidates = page.locator('section[aria-labelledby=candidates] tbody tr');
    expect(await candidates.count()).toBe(1);
    expect(await candidates.locator('th').textContent()).toBe('1.1.0');
    const cells = await candidates.locator('td').allTextContents();
    expect(cells[0]).toBe('1');
    expect(cells[1]).toMatch(/by admin$/);
    expect(cells.slice(2)).toEqual([
      'accuracy = 0.93f1 = 0.9',
      'no',
      's3://models/churn/1.1.0',
      'Retrained on the last 30 days.',
    ]);
    expect(await page.locator('ol.timeline').textContent()).toMatch(
      /retraining left: candidate 1\.1\.0 by admin/,
    );
    const incident = await api.call('GET', `/v1/incidents/${incidentId}`);
    expect(incident.body.candidate).toMatchObject({
      version: '1.1.0',
      submittedBy: 'admin',
      scopeChanged: false,
    });
    await page.screenshot({ path: join(RESULTS, 'dashboard-incident-candidate.png'), fullPage: true });
    // A second candidate once the step stopped waiting: the use case's 409, shown on the page.
    const late = await fetch(`${api.url}/dashboard/incidents/${incidentId}/candidate`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ version: '1.2.0', artifactUri: 's3://models/churn/1.2.0' }).toString(),
    });
    expect(late.status).toBe(409);
    expect(await late.text()).toMatch(/role="alert".*does not wait for a candidate now/s);
    // Chromium logs each answer of status 400 as a failed load: the two refusals above, nothing else.
    const refusal = `${api.url}/dashboard/incidents/${incidentId}/candidate: error: Failed to load resource: the server responded with a status of 400 (Bad Request)`;
    expect(problems).toEqual([refusal, refusal]);
    await page.close();
  });

  it('refuses a form posted from another site, and a host name that is not this machine’s', async () => {
    // Act
    const posted = await fetch(`${api.url}/dashboard/incidents/${incidentId}/candidate`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      body: 'version=9.0.0&artifactUri=x',
    });
    const rebound = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(`${api.url}/`, { headers: { host: 'evil.example:3000' } }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.on('error', reject);
      request.end();
    });

    // Assess
    expect(posted.status).toBe(403);
    expect(await posted.text()).toContain('posted from the dashboard itself');
    expect(rebound.status).toBe(403);
    expect(rebound.body).toContain('answers requests from this machine only');
    expect(rebound.body).not.toContain(MODEL);
  });
});
