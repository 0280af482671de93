import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/**
 * The approval page with every part at its largest: an incident at its limits (999 other
 * decisions with the longest comment), the longest candidate notes, review and re-validation
 * report, and an evaluation whose 100 features all drifted, each drawn with 20 categories of
 * 256 characters. Every value is made of `"`, which HTML escapes in 6 bytes.
 */
describe('the approval page at its largest', () => {
  let page: typeof import('../../../functions/commons/approvals/page.ts');
  let decisionPages: typeof import('../../../functions/commons/approvals/decision-pages.ts');
  beforeAll(async () => {
    vi.resetModules();
    vi.stubEnv('VIGIL_SIGNING_SECRET', 'local-secret');
    vi.stubEnv('GOVERNANCE_TABLE', 'governance');
    vi.stubEnv('TELEMETRY_TABLE', 'telemetry');
    page = await import('../../../functions/commons/approvals/page.ts');
    decisionPages = await import('../../../functions/commons/approvals/decision-pages.ts');
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  const quotes = (n: number, prefix = '') => `${prefix}${'"'.repeat(n - prefix.length)}`;
  const features = Array.from({ length: 100 }, (_, i) => quotes(64, `f${i}`));

  function view() {
    const candidate = {
      version: quotes(128, '2.0.0'),
      artifactUri: quotes(2048, 's3://'),
      metrics: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [quotes(64, `m${i}`), 0.5])),
      scopeChanged: true,
      notes: quotes(10_000),
      productionVersion: quotes(128, '1.0.0'),
      cycle: 20,
      submittedAt: '2026-01-01T00:00:00.000Z',
      submittedBy: 'admin',
    };
    const incident = {
      incidentId: 'inc_00000000000000000c01',
      modelId: 'm',
      kind: 'breach' as const,
      version: '1.0.0',
      evaluationId: 'e',
      evaluations: ['e'],
      reasons: Array.from({ length: 20 }, () => quotes(200)),
      status: 'open' as const,
      currentStep: 'pir_signoff',
      history: [],
      openedAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      retrainingCycles: 20,
      candidate,
      validationReport: {
        candidateVersion: candidate.version,
        productionVersion: candidate.productionVersion,
        passed: true,
        checks: Object.keys(candidate.metrics).flatMap((metric) =>
          (['min', 'max', 'maxRelativeDrop'] as const).map((rule) => ({
            metric,
            rule,
            limit: 0.1,
            actual: 0.5,
            baseline: 0.5,
            passed: true,
            message: quotes(200),
          })),
        ),
        comparison: Object.keys(candidate.metrics).map((metric) => ({
          metric,
          candidate: 0.5,
          production: 0.5,
        })),
        checkedAt: '2026-01-01T00:00:00.000Z',
      },
      pir: {
        summary: quotes(10_000),
        rootCause: quotes(10_000),
        lessonsLearned: quotes(10_000),
        actions: quotes(10_000),
        submittedBy: 'ops@example.com',
        submittedAt: '2026-01-01T00:00:00.000Z',
      },
    };
    const evaluation = {
      evaluationId: 'e',
      modelId: 'm',
      windowStart: '2026-01-01T00:00:00.000Z',
      windowEnd: '2026-01-02T00:00:00.000Z',
      status: 'breach',
      drift: {
        columns: features.map((name) => ({
          name,
          type: 'categorical',
          method: 'jensen_shannon',
          score: 0.5,
          threshold: 0.1,
          drifted: true,
        })),
      },
      performance: { fromActuals: { metrics: {}, samples: 0 }, points: {}, checks: [] },
    };
    const charts = features.map((column) => ({
      column,
      type: 'categorical' as const,
      bins: Array.from({ length: 20 }, (_, i) => ({
        label: quotes(256, `${i}`),
        reference: 0.05,
        current: 0.05,
      })),
    }));
    const decisions = Array.from({ length: 999 }, (_, i) => ({
      approvalId: `apr_${String(i).padStart(32, '0')}`,
      step: 'qa',
      decision: 'reject',
      comment: quotes(4000, `#${i}#`),
      decidedBy: 'qa@example.com',
      decidedAt: '2026-01-01T00:00:00.000Z',
    }));
    return {
      state: 'open' as const,
      approval: {
        approvalId: `apr_${'f'.repeat(32)}`,
        incidentId: incident.incidentId,
        modelId: 'm',
        step: 'pir_signoff',
        kind: 'decision' as const,
        roles: ['mlops' as const],
        options: ['approve', 'revise'],
        recipients: ['mlops@example.com'],
        requestedAt: '2026-01-01T00:00:00.000Z',
        expiresAt: '2026-02-01T00:00:00.000Z',
        reminder: 0,
        cycle: 1,
        status: 'pending' as const,
      },
      recipient: 'mlops@example.com',
      formToken: 'f'.repeat(43),
      evidence: { incident, evaluation, charts, decisions } as never,
    };
  }

  it('stays within its budget, with the request, its form, the newest decisions and the first charts', async () => {
    const result = await page.approvalPage(view());
    const bytes = Buffer.byteLength(result.body, 'utf8');
    console.info(`approval page at its largest: ${bytes} bytes`);
    expect(result.statusCode).toBe(200);
    expect(bytes).toBeLessThanOrEqual(decisionPages.PAGE_BYTES);
    expect(result.body).toContain('<h1>Sign-off of the post-implementation review</h1>');
    expect(result.body).toContain(`<input type="hidden" name="token" value="${'f'.repeat(43)}">`);
    expect(result.body).toContain('<button type="submit">Submit my decision</button>');
    const charts = result.body.match(/<figure class="distribution">/g)?.length ?? 0;
    expect(charts).toBeGreaterThan(0);
    expect(result.body).toContain(`${100 - charts} more drifted features are not drawn here`);
    const listed = [...result.body.matchAll(/<td>#(\d+)#/g)].map((m) => Number(m[1]));
    console.info(`${charts} charts of 100 and ${listed.length} decisions of 999 drawn`);
    expect(listed.at(-1)).toBe(998);
    expect(result.body).toContain(`${999 - listed.length} earlier decisions</a>`);
  });
});
