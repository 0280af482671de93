import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIncidents, runModels } from '../../cli/ops.ts';
import { approvers, startTestApi, type TestApi } from '../support/api.ts';

/** The model and incident lists answer pages bounded below Lambda's 6 MB response. */
describe('paged lists of models and incidents', () => {
  let api: TestApi;
  const modelIds = Array.from({ length: 26 }, (_, i) => `m${String(i).padStart(2, '0')}`);
  const incidentIds = Array.from({ length: 101 }, (_, i) => `inc_${String(i).padStart(20, '0')}`);

  beforeAll(async () => {
    api = await startTestApi();
    for (const modelId of modelIds) {
      const body = {
        name: modelId,
        owner: 'ops@example.com',
        task: 'classification',
        features: [{ name: 'x', type: 'numerical' }],
        approvers,
      };
      expect((await api.call('PUT', `/v1/models/${modelId}`, { body })).status).toBe(201);
    }
    const { putNewIncident } = await import('../../functions/commons/incidents/store.ts');
    const start = Date.parse('2026-01-01T00:00:00Z');
    for (const [i, incidentId] of incidentIds.entries()) {
      const openedAt = new Date(start + i * 60_000).toISOString();
      await putNewIncident({
        incidentId,
        modelId: i % 2 ? 'm01' : 'm00',
        version: '1.0.0',
        evaluationId: 'e',
        evaluations: ['e'],
        reasons: [`Data drift in ${'x'.repeat(2000)}`],
        status: 'open',
        currentStep: 'investigate',
        history: [],
        openedAt,
        updatedAt: openedAt,
        retrainingCycles: 0,
      });
    }
  }, 60_000);

  afterAll(async () => {
    await api?.close();
  });

  /** Every page of a list route with `query`, in order, each with its items' ids. */
  async function pages(path: string, field: string, id: string) {
    const out: string[][] = [];
    let nextToken: string | undefined;
    do {
      const separator = path.includes('?') ? '&' : '?';
      const page = await api.call(
        'GET',
        nextToken ? `${path}${separator}nextToken=${encodeURIComponent(nextToken)}` : path,
      );
      expect(page.status).toBe(200);
      out.push(page.body[field].map((item: Record<string, string>) => item[id]));
      nextToken = page.body.nextToken;
    } while (nextToken);
    return out;
  }

  it('lists models 25 a page at most, each once', async () => {
    const listed = await pages('/v1/models', 'models', 'modelId');
    expect(listed.map((page) => page.length)).toEqual([25, 1]);
    expect(listed.flat()).toEqual(modelIds);
    expect((await pages('/v1/models?limit=10', 'models', 'modelId')).flat()).toEqual(modelIds);
    const over = await api.call('GET', '/v1/models?limit=26');
    expect(over.body.error.issues[0].path).toBe('query.limit');
  });

  it('lists incidents 100 a page at most with their reasons cut, newest first, each once, also filtered', async () => {
    const first = await api.call('GET', '/v1/incidents');
    expect(first.body.incidents).toHaveLength(100);
    expect(first.body.incidents[0]).toMatchObject({ incidentId: incidentIds[100], modelId: 'm00' });
    expect(first.body.incidents[0].reasons[0]).toHaveLength(300);
    expect(first.body.incidents[0].history).toBeUndefined();
    const listed = await pages('/v1/incidents', 'incidents', 'incidentId');
    expect(listed.map((page) => page.length)).toEqual([100, 1]);
    expect(listed.flat()).toEqual([...incidentIds].reverse());

    // A filter that skips half the index: pages of 7 of m01's, none twice, none missed.
    const filtered = await pages('/v1/incidents?modelId=m01&limit=7', 'incidents', 'incidentId');
    expect(filtered.flat()).toEqual(incidentIds.filter((_, i) => i % 2).reverse());
    expect(filtered.slice(0, -1).every((page) => page.length === 7)).toBe(true);

    const over = await api.call('GET', '/v1/incidents?limit=101');
    expect(over.body.error.issues[0].path).toBe('query.limit');
    const forged = Buffer.from(
      JSON.stringify({ pk: 'MODEL#m00', sk: '#MODEL', gsi1pk: 'MODELS', gsi1sk: 'm00' }),
    ).toString('base64url');
    const refused = await api.call('GET', `/v1/incidents?nextToken=${forged}`);
    expect(refused.status).toBe(400);
    expect(refused.body.error.issues[0].path).toBe('query.nextToken');
  });

  it('pages the open incidents in their own index, and refuses there a nextToken of the whole listing', async () => {
    const open = await pages('/v1/incidents?status=open&modelId=m01&limit=7', 'incidents', 'incidentId');
    expect(open.flat()).toEqual(incidentIds.filter((_, i) => i % 2).reverse());
    expect(open.slice(0, -1).every((page) => page.length === 7)).toBe(true);

    const whole = await api.call('GET', '/v1/incidents?limit=3');
    const mixed = await api.call('GET', `/v1/incidents?status=open&nextToken=${whole.body.nextToken}`);
    expect(mixed.status).toBe(400);
    expect(mixed.body.error.issues[0].path).toBe('query.nextToken');
    const openPage = await api.call('GET', '/v1/incidents?status=open&limit=3');
    const back = await api.call('GET', `/v1/incidents?nextToken=${openPage.body.nextToken}`);
    expect(back.status).toBe(400);
    expect(back.body.error.issues[0].path).toBe('query.nextToken');
  });

  it('lists every page in the CLI', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const connection = ['--url', api.url, '--key', 'test-admin-key', '--json'];
    expect(
      await runModels(
        ['list', ...connection],
        (s) => out.push(s),
        (s) => err.push(s),
      ),
    ).toBe(0);
    expect(JSON.parse(out.join('')).models).toHaveLength(26);
    out.length = 0;
    expect(
      await runIncidents(
        ['list', ...connection],
        (s) => out.push(s),
        (s) => err.push(s),
      ),
    ).toBe(0);
    expect(JSON.parse(out.join('')).incidents).toHaveLength(101);
    expect(err).toEqual([]);
  });
});
