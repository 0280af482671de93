import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvaluationRecord } from '../../functions/commons/evaluation/store.ts';
import { localDynamoDbClient, localTableNames } from '../../local/dynamodb.ts';
import { approvers, startTestApi, type TestApi } from '../support/api.ts';

/** Evaluations of `big` as large as a model's can be: past 6 MB for 100 of them together. */
const COUNT = 100;
const PADDING = 70_000;

describe('listing a model’s evaluations', () => {
  let api: TestApi;
  const ids = Array.from(
    { length: COUNT },
    (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  );

  beforeAll(async () => {
    api = await startTestApi();
    const { putEvaluation } = await import('../../functions/commons/evaluation/store.ts');
    for (const modelId of ['big', 'other']) {
      const model = { name: modelId, owner: 'ops@example.com', task: 'classification', approvers };
      const created = await api.call('PUT', `/v1/models/${modelId}`, {
        body: { ...model, features: [{ name: 'x', type: 'numerical' }] },
      });
      expect(created.status).toBe(201);
    }
    const start = Date.parse('2026-01-01T00:00:00Z');
    for (const [i, evaluationId] of ids.entries()) {
      const windowEnd = new Date(start + (i + 1) * 3600_000).toISOString();
      await putEvaluation({
        evaluationId,
        modelId: 'big',
        trigger: 'schedule',
        windowStart: new Date(start + i * 3600_000).toISOString(),
        windowEnd,
        createdAt: windowEnd,
        status: 'breach',
        reasons: [`Data drift in ${'x'.repeat(1000)}`, `check ${i}`],
        baselineVersion: 1,
        baselineStale: false,
        samples: 500 + i,
        minSamples: 100,
        drift: { columns: [], dataset: { driftedColumns: 0, columns: 0, driftedShare: 0, drifted: false } },
        predictionDrift: null,
        missing: { [`f${'y'.repeat(PADDING)}`]: { reference: 0, current: 0, change: 0 } },
        performance: { fromActuals: { samples: 0, metrics: {} }, points: {}, checks: [] },
        complaints: { count: 0, perThousandPredictions: 0, byCategory: {} },
      } as unknown as EvaluationRecord);
    }
    // An evaluation stored before summaries were kept: listed from its whole record.
    const db = localDynamoDbClient(api.dynamoEndpoint);
    await db.send(
      new UpdateItemCommand({
        TableName: localTableNames().Governance,
        Key: { pk: { S: `EVAL#${ids[0]}` }, sk: { S: '#EVAL' } },
        UpdateExpression: 'REMOVE summary SET incidentId = :incident',
        ExpressionAttributeValues: { ':incident': { S: 'inc_0123456789abcdef0123' } },
      }),
    );
    db.destroy();
  }, 60_000);

  afterAll(async () => {
    await api?.close();
  });

  it('answers 100 summaries in one page, far below Lambda’s 6 MB, with the evaluation whole at its own route', async () => {
    const response = await fetch(`${api.url}/v1/models/big/evaluations?limit=${COUNT}`, {
      headers: { 'x-api-key': 'test-admin-key' },
    });
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(Buffer.byteLength(text)).toBeLessThan(COUNT * 1024);
    const page = JSON.parse(text) as { evaluations: Record<string, unknown>[]; nextToken?: string };
    expect(page.evaluations.map((e) => e.evaluationId)).toEqual([...ids].reverse());
    expect(page.evaluations[0]).toEqual({
      evaluationId: ids[COUNT - 1],
      modelId: 'big',
      trigger: 'schedule',
      windowStart: '2026-01-05T03:00:00.000Z',
      windowEnd: '2026-01-05T04:00:00.000Z',
      createdAt: '2026-01-05T04:00:00.000Z',
      status: 'breach',
      reasons: [`Data drift in ${'x'.repeat(285)}…`, `check ${COUNT - 1}`],
      samples: 500 + COUNT - 1,
      minSamples: 100,
      baselineVersion: 1,
    });
    expect(page.evaluations[COUNT - 1]).toMatchObject({
      evaluationId: ids[0],
      incidentId: 'inc_0123456789abcdef0123',
    });
    expect((page.evaluations[COUNT - 1]?.reasons as string[] | undefined)?.[0]).toHaveLength(300);

    const whole = await api.call('GET', `/v1/evaluations/${ids[COUNT - 1]}`);
    expect(Object.keys(whole.body.missing)[0]).toHaveLength(PADDING + 1);
    expect(whole.body.reasons[0]).toHaveLength(1014);
  });

  it('pages with limit and nextToken, each evaluation once, and the last page has no nextToken', async () => {
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const query = `limit=40${nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : ''}`;
      const page = await api.call('GET', `/v1/models/big/evaluations?${query}`);
      expect(page.status).toBe(200);
      expect(page.body.evaluations.length).toBeLessThanOrEqual(40);
      seen.push(...page.body.evaluations.map((e: { evaluationId: string }) => e.evaluationId));
      nextToken = page.body.nextToken;
      pages++;
    } while (nextToken);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it('refuses a limit past 100 and a nextToken it did not give out, or gave out for another model', async () => {
    const over = await api.call('GET', '/v1/models/big/evaluations?limit=101');
    expect(over.status).toBe(400);
    expect(over.body.error.issues[0].path).toBe('query.limit');

    const garbage = await api.call('GET', '/v1/models/big/evaluations?nextToken=not-a-token');
    expect(garbage.status).toBe(400);
    expect(garbage.body.error.issues).toEqual([{ path: 'query.nextToken', message: expect.any(String) }]);

    const first = await api.call('GET', '/v1/models/big/evaluations?limit=1');
    const foreign = await api.call(
      'GET',
      `/v1/models/other/evaluations?nextToken=${encodeURIComponent(first.body.nextToken)}`,
    );
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.issues[0].path).toBe('query.nextToken');
  });
});
