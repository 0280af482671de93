import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';

/**
 * An incident's audit trail, however long: the detail answers a first page bounded in bytes, and
 * the audit route pages through every event once.
 */
describe('paged audit trail of an incident', () => {
  let api: TestApi;
  const incidentId = 'inc_0000000000000000a0d1';
  const other = 'inc_0000000000000000a0d2';
  // 70 events of ~60 KB: 4.2 MB, past the detail's first page (2 MB), a route's page (4 MB) and a
  // DynamoDB page (1 MB).
  const count = 70;

  beforeAll(async () => {
    api = await startTestApi();
    const { putNewIncident } = await import('../../functions/commons/incidents/store.ts');
    const { appendAudit } = await import('../../functions/commons/incidents/audit.ts');
    for (const id of [incidentId, other]) {
      await putNewIncident({
        incidentId: id,
        modelId: 'm',
        version: '1.0.0',
        evaluationId: 'e',
        evaluations: ['e'],
        reasons: ['drift'],
        status: 'open',
        currentStep: 'investigate',
        history: [],
        openedAt: '2026-05-01T00:00:00.000Z',
        updatedAt: '2026-05-01T00:00:00.000Z',
        retrainingCycles: 0,
      });
    }
    for (let i = 0; i < count; i++) {
      await appendAudit(incidentId, {
        type: 'evaluation.attached',
        actor: 'scheduler',
        details: { n: i, evaluation: 'x'.repeat(60_000) },
      });
    }
    await appendAudit(other, { type: 'incident.opened', actor: 'scheduler' });
  }, 120_000);

  afterAll(async () => {
    await api?.close();
  });

  /** Every page of the audit route from `token`, each as its events' seq. */
  async function pages(query: string, token?: string) {
    const out: number[][] = [];
    let nextToken = token;
    do {
      const separator = query ? '&' : '';
      const path = `/v1/incidents/${incidentId}/audit?${query}${nextToken ? `${separator}nextToken=${encodeURIComponent(nextToken)}` : ''}`;
      const page = await api.call('GET', path);
      expect(page.status).toBe(200);
      out.push(page.body.audit.map((event: { seq: number }) => event.seq));
      nextToken = page.body.nextToken;
    } while (nextToken);
    return out;
  }

  const all = Array.from({ length: count }, (_, i) => i + 1);

  it('answers the first 2 MB of the trail with the incident, and a token for the rest', async () => {
    const detail = await api.call('GET', `/v1/incidents/${incidentId}`);
    expect(detail.status).toBe(200);
    const first = detail.body.audit.map((event: { seq: number }) => event.seq);
    expect(first.length).toBeGreaterThan(20);
    expect(first.length).toBeLessThan(count);
    expect(JSON.stringify(detail.body.audit).length).toBeLessThan(2_100_000);
    expect(first).toEqual(all.slice(0, first.length));
    const rest = await pages('', detail.body.auditNextToken);
    expect([...first, ...rest.flat()]).toEqual(all);

    const small = await api.call('GET', `/v1/incidents/${other}`);
    expect(small.body.audit).toHaveLength(1);
    expect(small.body).not.toHaveProperty('auditNextToken');
  });

  it('pages through every event once, by bytes and by limit', async () => {
    const listed = await pages('');
    expect(listed.length).toBe(2);
    expect(listed.flat()).toEqual(all);
    const seven = await pages('limit=7');
    expect(seven.flat()).toEqual(all);
    expect(seven.slice(0, -1).every((page) => page.length === 7)).toBe(true);
  });

  it('refuses a limit out of range and a token of another listing with a 400 naming the field', async () => {
    const over = await api.call('GET', `/v1/incidents/${incidentId}/audit?limit=1001`);
    expect(over.status).toBe(400);
    expect(over.body.error.issues[0].path).toBe('query.limit');
    const token = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
    for (const nextToken of [
      token({ pk: `EVENTS#${other}`, sk: 'SEQ#0000000001' }), // another incident's
      token({ pk: `EVENTS#${incidentId}`, sk: 'SEQ#1' }),
      token({ pk: `INCIDENT#${incidentId}`, sk: '#INCIDENT' }),
      'garbage',
    ]) {
      const refused = await api.call(
        'GET',
        `/v1/incidents/${incidentId}/audit?nextToken=${encodeURIComponent(nextToken)}`,
      );
      expect(refused.status).toBe(400);
      expect(refused.body.error.issues[0].path).toBe('query.nextToken');
    }
    expect((await api.call('GET', '/v1/incidents/inc_00000000000000000000/audit')).status).toBe(404);
  });
});
