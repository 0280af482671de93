import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { OutboxMessage } from '../../local/outbox.ts';
import { approvers, startTestApi, type TestApi } from '../support/api.ts';
import { chromiumForTests, launchChromium } from '../support/chromium.ts';

/**
 * The pictures people decide from, in Debian's Chromium: a model evaluated hour after hour, its
 * data drifting and its accuracy falling from the fourth hour, which opens an incident. The
 * Data Science Lead's page shows performance as a table and each drifted feature's
 * distributions; QA's page the candidate against production metric by metric; the dashboard's
 * model page and the evaluation report the trends. The clock (`Date` only) steps through the
 * hours so that every evaluation covers its own window. Screenshots land in
 * test-results/pictures-*.png; `VIGIL_SCREENSHOTS=docs` also refreshes the README's in
 * docs/screenshots/.
 */
const ROOT = join(import.meta.dirname, '../..');
const RESULTS = join(ROOT, 'test-results');
const DOCS = join(ROOT, 'docs/screenshots');
const MODEL = 'churn-trends';
const HOUR = 3_600_000;
const HOURS = 6;
/** The hour (1-based) from which the traffic drifts and the accuracy falls. */
const DRIFT_FROM = 4;

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

function rows(n: number, seed: number, drift: number) {
  const r = rng(seed);
  const plans = drift > 0 ? ['pro', 'pro', 'plus', 'enterprise'] : ['basic', 'basic', 'plus', 'pro'];
  return Array.from({ length: n }, () => ({
    features: {
      age: Math.round((40 + drift * 12 + 10 * r.normal()) * 10) / 10,
      plan: plans[Math.floor(r.uniform() * plans.length)] as string,
    },
    prediction: r.uniform() < 0.3 ? 'churn' : 'stay',
  }));
}

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

describe.skipIf(!chromiumPath)(
  'pictures on the approval pages, the model page and the report, in a browser',
  () => {
    let api: TestApi;
    let browser: Browser;
    let incidentId: string;
    let getModel: typeof import('../../functions/commons/registry/store.ts').getModel;
    let evaluateModel: typeof import('../../functions/commons/evaluation/evaluate.ts').evaluateModel;
    const problems: string[] = [];

    async function open(): Promise<Page> {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      page.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning')
          problems.push(`${page.url()}: ${message.type()}: ${message.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`${page.url()}: page error: ${error.message}`));
      return page;
    }

    /**
     * The whole page into test-results/; with `VIGIL_SCREENSHOTS=docs`, also the README's copy in
     * docs/screenshots/: the page from its top to the end of `until` (the part that matters, a
     * smaller file). Without it the tracked copies stay as they are.
     */
    async function shoot(page: Page, name: string, until?: Locator): Promise<void> {
      await page.screenshot({ path: join(RESULTS, `pictures-${name}.png`), fullPage: true });
      if (process.env.VIGIL_SCREENSHOTS !== 'docs') return;
      const box = until ? await until.boundingBox() : null;
      const width = page.viewportSize()?.width ?? 1200;
      await page.screenshot({
        path: join(DOCS, `${name}.png`),
        fullPage: true,
        ...(box ? { clip: { x: 0, y: 0, width, height: Math.ceil(box.y + box.height + 24) } } : {}),
      });
    }

    function outbox(): readonly OutboxMessage[] {
      return api.runtime.governance.outbox.list();
    }

    function approvalLink(to: string, subject: RegExp): string | undefined {
      return outbox()
        .filter((m) => m.to === to && subject.test(m.subject))
        .flatMap((m) => m.links.filter((link) => link.includes('/approvals/')))
        .at(-1);
    }

    beforeAll(async () => {
      vi.spyOn(console, 'log').mockImplementation(() => {});
      mkdirSync(RESULTS, { recursive: true });
      api = await startTestApi();
      browser = await launchChromium(chromiumPath);

      expect(
        (
          await api.call('PUT', `/v1/models/${MODEL}`, {
            body: {
              name: 'Churn predictor',
              owner: 'ds@example.com',
              task: 'classification',
              features: [
                { name: 'age', type: 'numerical' },
                { name: 'plan', type: 'categorical' },
              ],
              schedule: { every: 'PT1H', window: 'PT1H', minSamples: 100 },
              groundTruth: { lookbackDays: 1 },
              thresholds: {
                drift: { age: { method: 'wassersteinNormed', threshold: 0.2 } },
                performance: { accuracy: { min: 0.8, maxRelativeDrop: 0.1 } },
              },
              governance: { stabilisationSeconds: 1 },
              approvers,
            },
          })
        ).status,
      ).toBe(201);
      expect(
        (
          await api.call('PUT', `/v1/models/${MODEL}/baseline`, {
            body: { records: rows(1500, 1, 0), metrics: { accuracy: 0.9, f1: 0.85 } },
          })
        ).status,
      ).toBe(201);
      expect(
        (
          await api.call('POST', `/v1/models/${MODEL}/versions`, {
            body: {
              version: '1.0.0',
              artifactUri: 's3://models/churn/1.0.0',
              metrics: { accuracy: 0.9, f1: 0.85 },
            },
          })
        ).status,
      ).toBe(201);

      // Hour after hour: the traffic of the hour, its actuals, then the scheduled evaluation of it.
      ({ getModel } = await import('../../functions/commons/registry/store.ts'));
      ({ evaluateModel } = await import('../../functions/commons/evaluation/evaluate.ts'));
      const { afterEvaluation } = await import('../../functions/commons/evaluation/breach.ts');
      const first = Math.ceil(Date.now() / HOUR) * HOUR;
      vi.useFakeTimers({ toFake: ['Date'], now: first });
      for (let hour = 1; hour <= HOURS; hour++) {
        const start = first + (hour - 1) * HOUR;
        vi.setSystemTime(start + 10 * 60_000);
        const drift = hour >= DRIFT_FROM ? (hour - DRIFT_FROM + 1) / 2 : 0;
        const records = rows(300 + hour * 20, 100 + hour, drift).map((record, i) => ({
          ...record,
          predictionId: `h${hour}-${i}`,
        }));
        expect(
          (await api.call('POST', `/v1/models/${MODEL}/predictions`, { body: { records } })).status,
        ).toBe(202);
        const wrong = hour >= DRIFT_FROM ? 0.3 + 0.05 * (hour - DRIFT_FROM) : 0.06 + 0.01 * hour;
        const r = rng(200 + hour);
        const actuals = records.map((record) => ({
          predictionId: record.predictionId,
          actual:
            r.uniform() < wrong ? (record.prediction === 'churn' ? 'stay' : 'churn') : record.prediction,
        }));
        expect(
          (await api.call('POST', `/v1/models/${MODEL}/actuals`, { body: { records: actuals } })).status,
        ).toBe(202);
        vi.setSystemTime(start + HOUR + 60_000);
        const model = await getModel(MODEL);
        if (!model) throw new Error('no model');
        const evaluation = await evaluateModel(model, { end: new Date(), trigger: 'schedule' });
        const outcome = await afterEvaluation(model, evaluation);
        if (outcome.incident) incidentId = outcome.incident.incidentId;
      }
      await waitFor(() => approvalLink('dsl@example.com', /Investigate/), 'the investigation request');
    }, 120_000);

    afterAll(async () => {
      vi.useRealTimers();
      await browser?.close();
      await api?.close();
      vi.restoreAllMocks();
    });

    it('shows the Data Science Lead performance as a table and each drifted feature’s distributions', async () => {
      // Prepare
      const page = await open();

      // Act
      await page.goto(approvalLink('dsl@example.com', /Investigate/) as string);

      // Assess
      const performance = page.locator('table.performance');
      expect(await performance.locator('thead th').allTextContents()).toEqual([
        'Metric',
        'Baseline',
        'Window',
        'Threshold',
        'Verdict',
      ]);
      const accuracy = performance.locator('tr[data-metric=accuracy]');
      const cells = await accuracy.locator('td').allTextContents();
      expect(cells[0]).toBe('0.9');
      expect(Number(cells[1])).toBeLessThan(0.8);
      expect(cells.slice(2)).toEqual(['≥ 0.8, drop ≤ 10% of baseline', 'breach']);
      expect(await page.locator('table.per-class tbody th').allTextContents()).toEqual(['churn', 'stay']);
      expect(await page.locator('main').textContent()).not.toContain('{"');
      for (const feature of ['age', 'plan']) {
        const chart = page.locator(`figure.distribution svg.chart[data-column="${feature}"]`);
        expect(await chart.count(), feature).toBe(1);
        expect(await chart.locator('rect[fill="#3b6ea5"]').count()).toBeGreaterThan(1);
      }
      await shoot(page, 'investigate', page.locator('.distributions'));
      expect(problems).toEqual([]);
      await page.close();
    });

    it('shows the model’s trends on the dashboard with the incident on the time axis', async () => {
      // Prepare
      const page = await open();
      await page.goto(`${api.url}/`);

      // Act
      await page
        .locator('section[aria-labelledby=models]')
        .getByRole('link', { name: 'Churn predictor' })
        .click();

      // Assess
      expect(new URL(page.url()).pathname).toBe(`/dashboard/models/${MODEL}`);
      const trends = page.locator('section[aria-labelledby=trends]');
      const figures = trends.locator('figure.trend');
      // age, plan; accuracy, precision, recall, f1; samples.
      expect(await figures.count()).toBe(7);
      const age = figures.filter({ hasText: 'age' }).locator('svg');
      expect(await age.locator('circle.value').count()).toBe(HOURS);
      expect(await age.locator('line.marker').count()).toBe(1);
      expect(Number(await age.getAttribute('data-threshold'))).toBeGreaterThan(0);
      const accuracy = figures.filter({ hasText: /^accuracy/ }).locator('svg');
      expect(await accuracy.getAttribute('data-threshold')).toBe('0.8');
      expect(await accuracy.locator('circle.value[fill="#b42318"]').count()).toBe(HOURS - DRIFT_FROM + 1);
      const samples = figures.filter({ hasText: 'Samples per window' }).locator('svg');
      expect(await samples.locator('rect.value').count()).toBe(HOURS);
      expect(await samples.getAttribute('data-threshold')).toBe('100');
      // Stable hours, then the breaching ones: the incident opened with the first breach.
      const statuses = await page
        .locator('section[aria-labelledby=evaluations] tbody td:nth-child(2)')
        .allTextContents();
      expect(statuses.reverse()).toEqual([
        ...Array(DRIFT_FROM - 1).fill('ok'),
        ...Array(HOURS - DRIFT_FROM + 1).fill('breach'),
      ]);
      await shoot(page, 'model-trends', page.locator('section[aria-labelledby=trends]'));
      const missing = await fetch(`${api.url}/dashboard/models/no-such-model`);
      expect(missing.status).toBe(404);
      expect(await missing.text()).toContain('There is no model no-such-model.');

      // Act: the report of the latest evaluation has the trends up to it
      await page
        .locator('section[aria-labelledby=evaluations] tbody tr')
        .first()
        .getByRole('link')
        .first()
        .click();

      // Assess
      expect(
        await page.locator('#trends ~ .trends figure.trend, section.trends-section figure.trend').count(),
      ).toBe(7);
      await shoot(page, 'evaluation-report');
      expect(problems).toEqual([]);
      await page.close();
    });

    it('shows QA the candidate against production, metric by metric', async () => {
      // Prepare: retraining asked for, a candidate submitted and re-validated
      const page = await open();
      await page.goto(approvalLink('dsl@example.com', /Investigate/) as string);
      await page.locator('input[name=decision][value=retrain]').check();
      await page.getByRole('button', { name: 'Submit my decision' }).click();
      await waitFor(
        () => outbox().find((m) => m.to === 'dev@example.com' && /Retrain the model/.test(m.subject)),
        'the retraining request',
      );
      const candidate = await api.call('POST', `/v1/incidents/${incidentId}/candidate`, {
        body: {
          version: '1.1.0',
          artifactUri: 's3://models/churn/1.1.0',
          metrics: { accuracy: 0.88, f1: 0.87, auc: 0.93 },
          scopeChanged: false,
          notes: 'Retrained on the last three hours.',
        },
      });
      expect(candidate.status).toBe(202);
      const link = await waitFor(() => approvalLink('qa@example.com', /QA/), 'the QA request');

      // Act
      await page.goto(link);

      // Assess
      const comparison = page.locator('table.comparison');
      expect(await comparison.locator('tbody th').allTextContents()).toEqual(['accuracy', 'auc', 'f1']);
      const accuracy = await comparison.locator('tr[data-metric=accuracy] td').allTextContents();
      expect(accuracy.slice(0, 3)).toEqual(['0.88', '0.9', '−0.02']);
      expect(accuracy[4]).toMatch(/^pass/);
      expect(await comparison.locator('tr[data-metric=auc] td').nth(1).textContent()).toBe('–');
      expect((await comparison.locator('tr[data-metric=auc] td').allTextContents())[4]).toBe('not checked');
      expect(await comparison.locator('svg.pair rect[data-side=candidate]').count()).toBe(3);
      await shoot(page, 'qa', page.locator('table.comparison'));
      expect(problems).toEqual([]);
      await page.close();
    });

    it('shows Operations the metrics before and after the promotion', async () => {
      // Prepare: the hour after the promotion, healthy again, is evaluated ahead on the clock; then
      // QA approves at the promotion's time, and the stabilisation (a second) ends.
      const promotedAt = Date.now();
      vi.setSystemTime(promotedAt + HOUR + 60_000);
      const records = rows(400, 300, 0).map((record, i) => ({
        ...record,
        predictionId: `after-${i}`,
        timestamp: new Date(promotedAt + 5 * 60_000 + i * 7_000).toISOString(),
      }));
      expect((await api.call('POST', `/v1/models/${MODEL}/predictions`, { body: { records } })).status).toBe(
        202,
      );
      const r = rng(400);
      const actuals = records.map((record) => ({
        predictionId: record.predictionId,
        actual: r.uniform() < 0.07 ? (record.prediction === 'churn' ? 'stay' : 'churn') : record.prediction,
      }));
      expect(
        (await api.call('POST', `/v1/models/${MODEL}/actuals`, { body: { records: actuals } })).status,
      ).toBe(202);
      const model = await getModel(MODEL);
      if (!model) throw new Error('no model');
      expect((await evaluateModel(model, { end: new Date(), trigger: 'schedule' })).status).toBe('ok');
      vi.setSystemTime(promotedAt);
      const page = await open();
      await page.goto(approvalLink('qa@example.com', /QA/) as string);
      await page.locator('input[name=decision][value=approve]').check();
      await page.getByRole('button', { name: 'Submit my decision' }).click();
      const link = await waitFor(
        () => approvalLink('ops@example.com', /Operations/),
        'the Operations request',
      );

      // Act
      await page.goto(link);

      // Assess
      expect(await page.getByRole('heading', { level: 2 }).first().textContent()).toBe(
        'Automatic check of version 1.1.0',
      );
      const table = page.locator('table.before-after');
      expect(await table.locator('tbody th').allTextContents()).toEqual([
        'accuracy',
        'precision',
        'recall',
        'f1',
        'Samples in the window',
        'Drifted features',
      ]);
      const accuracy = await table.locator('tr[data-metric=accuracy] td').allTextContents();
      expect(Number(accuracy[0])).toBeLessThan(0.8);
      expect(Number(accuracy[1])).toBeGreaterThan(0.85);
      expect(accuracy[2]).toMatch(/^\+0\.\d+$/);
      expect(accuracy[4]).toBe('pass');
      expect(await table.locator('tr[data-metric="drifted features"] td').allTextContents()).toEqual([
        '2 of 2',
        '0 of 2',
        '–',
        '–',
        'pass',
      ]);
      await shoot(page, 'operations', page.locator('table.before-after'));
      expect(problems).toEqual([]);
      await page.close();
    });
  },
);
