import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EstimatedPerformance } from '../../functions/commons/cbpe/estimate.ts';
import { evaluation } from '../unit/reports/fixtures.ts';
import { Harness } from './workflow/harness.ts';

const estimate: EstimatedPerformance = {
  accuracy: 0.8,
  precision: 0.55,
  recall: 0.9,
  f1: 0.68,
  samples: 900,
  positiveClass: 'fraud',
  clipped: { below: 2, above: 0 },
  checks: [
    {
      metric: 'precision',
      value: 0.55,
      min: 0.7,
      ok: false,
      reason: 'estimated precision 0.55 is below the minimum 0.7',
    },
  ],
  realised: { accuracy: 0.7, precision: 0.5, recall: 0.8, f1: 0.6, samples: 30 },
  error: { accuracy: 0.1, precision: 0.05, recall: 0.1, f1: 0.08 },
};

describe('estimated performance on the approval pages (local runtime)', () => {
  let h: Harness;
  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    h = await Harness.start();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('shows the estimate beside the realised values and the error in the evaluation that opened the incident', async () => {
    await h.registerModel('estimated');
    const { putEvaluation } = await import('../../functions/commons/evaluation/store.ts');
    await putEvaluation({
      ...evaluation('2026-01-02T00:00:00.000Z'),
      evaluationId: 'eval-estimated',
      modelId: 'estimated',
      status: 'breach',
      reasons: ['estimated precision 0.55 is below the minimum 0.7'],
      estimatedPerformance: estimate,
    });
    await h.openIncident('estimated', 'eval-estimated');
    const message = await h.message('dsl@example.com', /Investigate the alert/);

    const page = await h.call('GET', message.links[0] as string, { key: null });

    expect(page.status).toBe(200);
    const markup = String(page.body);
    expect(markup).toContain(
      'Estimated performance of the positive class "fraud" from the calibrated scores of 900 predictions; realised from 30 prediction–actual pairs joined so far.',
    );
    expect(markup).toMatch(
      /<tr data-metric="precision" class="breach"><th scope="row">precision<\/th><td[^>]*>0.55<\/td><td class="num">0.5<\/td><td class="num">\+0.05<\/td><td>≥ 0.7<\/td>/,
    );
  });
});
