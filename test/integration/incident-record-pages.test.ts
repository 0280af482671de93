import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';

/**
 * An incident's approvals, candidates and re-validation reports over HTTP: the detail answers the
 * first page of each and a token, `GET /v1/incidents/{id}/approvals`, `.../candidates` and
 * `.../validation-reports` page the rest, so no answer nears Lambda's 6 MB response however large
 * an incident's records are.
 */
describe('paged records of an incident', () => {
  let api: TestApi;
  const incidentId = 'inc_0000000000000000ab01';
  const otherId = 'inc_0000000000000000ab02';
  const approvalIds = Array.from({ length: 12 }, (_, i) => `apr_${String(i).padStart(32, '0')}`);

  beforeAll(async () => {
    api = await startTestApi();
    const { putNewIncident } = await import('../../functions/commons/incidents/store.ts');
    const { putApproval, reserveApproval } = await import('../../functions/commons/approvals/store.ts');
    for (const id of [incidentId, otherId]) {
      await putNewIncident({
        incidentId: id,
        modelId: 'm-pages',
        version: '1.0.0',
        evaluationId: 'e',
        evaluations: ['e'],
        reasons: ['drift'],
        status: 'open',
        currentStep: 'qa',
        history: [],
        openedAt: '2026-03-01T00:00:00.000Z',
        updatedAt: '2026-03-01T00:00:00.000Z',
        retrainingCycles: 0,
      });
    }
    // Twelve decided requests of ~150 KB each (a long comment): ~1.8 MB in all.
    for (const [i, approvalId] of approvalIds.entries()) {
      const requestedAt = new Date(Date.UTC(2026, 2, 1, 1, i)).toISOString();
      await reserveApproval(incidentId, 'qa');
      await putApproval(
        {
          approvalId,
          incidentId,
          modelId: 'm-pages',
          step: 'qa',
          kind: 'decision',
          roles: ['qa'],
          options: ['approve', 'reject'],
          recipients: ['qa@example.com'],
          requestedAt,
          expiresAt: '2026-03-02T00:00:00.000Z',
          reminder: 0,
          cycle: 1,
          status: 'decided',
          decision: 'reject',
          comment: `${i} ${'x'.repeat(150_000)}`,
        },
        `secret-task-token-${i}`,
      );
    }
    // Twelve candidates and reports of ~60 KB each (notes of control characters, escaped in JSON).
    const { addIncidentRecord } = await import('../../functions/commons/incidents/store.ts');
    for (let i = 0; i < 12; i++) {
      const submittedAt = new Date(Date.UTC(2026, 2, 1, 2, i)).toISOString();
      await addIncidentRecord(incidentId, 'candidate', submittedAt, {
        version: `1.${i + 1}.0`,
        artifactUri: 's3://models/x',
        metrics: {},
        scopeChanged: false,
        notes: '\u0001'.repeat(10_000),
        productionVersion: '1.0.0',
        cycle: i + 1,
        submittedAt,
        submittedBy: 'admin',
      });
      await addIncidentRecord(
        incidentId,
        'validation',
        submittedAt,
        {
          candidateVersion: `1.${i + 1}.0`,
          productionVersion: '1.0.0',
          passed: false,
          checks: [],
          comparison: [{ metric: '\u0001'.repeat(10_000) }],
          checkedAt: submittedAt,
        },
        `v${i}`,
      );
    }
    await reserveApproval(otherId, 'qa');
    await putApproval(
      {
        approvalId: 'apr_ffffffffffffffffffffffffffffffff',
        incidentId: otherId,
        modelId: 'm-pages',
        step: 'qa',
        kind: 'decision',
        roles: ['qa'],
        options: ['approve', 'reject'],
        recipients: ['qa@example.com'],
        requestedAt: '2026-03-01T01:00:00.000Z',
        expiresAt: '2026-03-02T00:00:00.000Z',
        reminder: 0,
        cycle: 1,
        status: 'pending',
      },
      'secret-task-token-other',
    );
  }, 120_000);
  afterAll(async () => api?.close());

  it('answers the first megabyte of approvals in the detail, and every approval once across the pages', async () => {
    const detail = await api.call('GET', `/v1/incidents/${incidentId}`);
    expect(detail.status).toBe(200);
    const first = detail.body.approvals as { approvalId: string }[];
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(approvalIds.length);
    expect(Buffer.byteLength(JSON.stringify(first))).toBeLessThanOrEqual(1_000_000);
    expect(JSON.stringify(detail.body)).not.toContain('secret-task-token');

    const seen = first.map((a) => a.approvalId);
    let token: string | undefined = detail.body.approvalsNextToken;
    while (token) {
      const page = await api.call(
        'GET',
        `/v1/incidents/${incidentId}/approvals?limit=5&nextToken=${encodeURIComponent(token)}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.approvals.length).toBeLessThanOrEqual(5);
      expect(JSON.stringify(page.body)).not.toContain('secret-task-token');
      seen.push(...page.body.approvals.map((a: { approvalId: string }) => a.approvalId));
      token = page.body.nextToken;
    }
    expect(seen).toEqual(approvalIds);

    const whole = await api.call('GET', `/v1/incidents/${incidentId}/approvals`);
    expect(whole.body.approvals.map((a: { approvalId: string }) => a.approvalId)).toEqual(approvalIds);
    expect(whole.body.nextToken).toBeUndefined();
  });

  it('answers the first half megabyte of candidates and of reports in the detail, and each once across the pages', async () => {
    const detail = await api.call('GET', `/v1/incidents/${incidentId}`);
    const versions = Array.from({ length: 12 }, (_, i) => `1.${i + 1}.0`);
    for (const [field, route, token, version] of [
      ['candidates', 'candidates', 'candidatesNextToken', 'version'],
      ['validationReports', 'validation-reports', 'validationReportsNextToken', 'candidateVersion'],
    ] as const) {
      const first = detail.body[field] as Record<string, string>[];
      expect(first.length, field).toBeGreaterThan(0);
      expect(first.length, field).toBeLessThan(12);
      expect(Buffer.byteLength(JSON.stringify(first))).toBeLessThanOrEqual(500_000);
      const seen = first.map((record) => record[version]);
      let next: string | undefined = detail.body[token];
      while (next) {
        const page = await api.call(
          'GET',
          `/v1/incidents/${incidentId}/${route}?limit=4&nextToken=${encodeURIComponent(next)}`,
        );
        expect(page.status, page.body.error?.message).toBe(200);
        expect(page.body[field].length).toBeLessThanOrEqual(4);
        seen.push(...page.body[field].map((record: Record<string, string>) => record[version]));
        next = page.body.nextToken;
      }
      expect(seen, field).toEqual(versions);
      // A candidates token is no reports token.
      const other = route === 'candidates' ? 'validation-reports' : 'candidates';
      const mixed = await api.call(
        'GET',
        `/v1/incidents/${incidentId}/${other}?nextToken=${encodeURIComponent(detail.body[token])}`,
      );
      expect(mixed.status).toBe(400);
      expect(mixed.body.error.issues[0].path).toBe('query.nextToken');
    }
    expect(Buffer.byteLength(JSON.stringify(detail.body))).toBeLessThan(6_000_000);
  });

  it('says in `vigil incidents show` that the approvals and candidates go on', async () => {
    const { runIncidents } = await import('../../cli/ops.ts');
    const { ADMIN_KEY } = await import('../support/api.ts');
    const out: string[] = [];
    const code = await runIncidents(
      ['show', incidentId, '--url', api.url, '--key', ADMIN_KEY],
      (text) => out.push(text),
      () => {},
    );
    expect(code).toBe(0);
    expect(out.join('')).toContain(`and more: GET /v1/incidents/${incidentId}/approvals pages through all.`);
    expect(out.join('')).toContain(`and more: GET /v1/incidents/${incidentId}/candidates pages through all.`);
  });

  it("refuses another incident's token, a limit past its bound, and an unknown incident", async () => {
    const other = await api.call('GET', `/v1/incidents/${otherId}/approvals?limit=1`);
    expect(other.body.approvals).toHaveLength(1);
    const page = await api.call('GET', `/v1/incidents/${incidentId}/approvals?limit=1`);
    const forged = await api.call(
      'GET',
      `/v1/incidents/${otherId}/approvals?nextToken=${encodeURIComponent(page.body.nextToken)}`,
    );
    expect(forged.status).toBe(400);
    expect(forged.body.error.issues[0].path).toBe('query.nextToken');
    const over = await api.call('GET', `/v1/incidents/${incidentId}/approvals?limit=1001`);
    expect(over.status).toBe(400);
    expect(over.body.error.issues[0].path).toBe('query.limit');
    const unknown = await api.call('GET', '/v1/incidents/inc_0000000000000000ffff/approvals');
    expect(unknown.status).toBe(404);
  });
});
