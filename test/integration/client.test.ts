import type { IncomingMessage, ServerResponse } from 'node:http';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newBatchId, VigilApiError, VigilClient } from '../../cli/client.ts';
import { localDynamoDbClient, localTableNames } from '../../local/dynamodb.ts';
import { approvers, startTestApi, type TestApi } from '../support/api.ts';
import { countingDeltas } from '../support/deltas.ts';
import { hangUp, inProgress, json, scriptedServer } from '../support/scripted-server.ts';

const records = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    features: { age: 20 + (i % 50), plan: i % 2 ? 'pro' : 'basic' },
    prediction: 'stay',
  }));

describe('the ingest client against a server that refuses first', () => {
  const fast = { baseDelayMs: 1, maxDelayMs: 5 };

  it('retries 429, 503 and 409 batch_in_progress with the same batch, then returns the answer', async () => {
    const server = await scriptedServer([
      json(429, { message: 'Too Many Requests' }),
      json(503, { message: 'Service Unavailable' }),
      inProgress,
      json(202, { accepted: 2 }),
    ]);
    const retries: string[] = [];
    const client = new VigilClient({
      url: `${server.url}/`,
      key: 'model-key',
      ...fast,
      onRetry: ({ attempt, reason }) => retries.push(`${attempt}: ${reason}`),
    });
    try {
      const batch = { batchId: 'b-1', records: records(2) };
      await expect(client.sendPredictions('churn', batch)).resolves.toEqual({ accepted: 2 });
      expect(server.bodies).toEqual(Array(4).fill(JSON.stringify(batch)));
      expect(retries).toEqual([
        '1: 429 Too Many Requests',
        '2: 503 Service Unavailable',
        '3: 409 Batch b-1 is being processed; retry shortly',
      ]);
    } finally {
      await server.close();
    }
  });

  it('throws a 400 at once, naming the fields', async () => {
    const server = await scriptedServer([
      json(400, {
        error: {
          code: 'invalid_request',
          message: 'Invalid request body',
          issues: [{ path: 'records.0.features.age', message: 'must be a number' }],
        },
      }),
    ]);
    try {
      const error = await new VigilClient({ url: server.url, key: 'k', ...fast })
        .sendPredictions('churn', { batchId: 'b-2', records: records(1) })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VigilApiError);
      expect(error).toMatchObject({
        status: 400,
        code: 'invalid_request',
        attempts: 1,
        message: '400 Invalid request body; records.0.features.age: must be a number',
      });
      expect(server.bodies).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('gives up after maxAttempts, with the last answer', async () => {
    const server = await scriptedServer([json(503, { message: 'Service Unavailable' })]);
    try {
      const client = new VigilClient({ url: server.url, key: 'k', maxAttempts: 3, ...fast });
      await expect(
        client.sendActuals('churn', { batchId: 'b-3', records: [{ predictionId: 'p', actual: 1 }] }),
      ).rejects.toMatchObject({
        status: 503,
        attempts: 3,
        message: '503 Service Unavailable (after 3 attempts)',
      });
      expect(server.bodies).toHaveLength(3);
    } finally {
      await server.close();
    }
  });

  it('sends feedback with a batch id of its own and retries it after a 5xx with the same one', async () => {
    const server = await scriptedServer([
      json(429, { message: 'Too Many Requests' }, { 'retry-after': '0' }),
      json(500, { message: 'x' }),
      json(202, { accepted: 1, feedbackId: 'f-1' }),
    ]);
    try {
      const client = new VigilClient({ url: server.url, key: 'k', ...fast });
      await expect(
        client.sendFeedback('churn', { category: 'complaint', message: 'wrong' }),
      ).resolves.toEqual({ accepted: 1, feedbackId: 'f-1' });
      expect(server.bodies).toHaveLength(3);
      const sent = server.bodies.map((body) => JSON.parse(body) as { batchId?: string });
      expect(sent[0]?.batchId).toMatch(/^[0-9a-f-]{36}$/);
      expect(new Set(sent.map((body) => body.batchId)).size).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('refuses a batch without batch id before sending anything', () => {
    const client = new VigilClient({ url: 'http://127.0.0.1:9', key: 'k' });
    expect(() =>
      client.sendMetrics('churn', { batchId: '', records: [{ name: 'latency', value: 1 }] }),
    ).toThrow(/needs a batchId/);
  });
});

describe('the ingest client against the local runtime', () => {
  let api: TestApi;
  let modelKey: string;

  beforeAll(async () => {
    api = await startTestApi();
    const model = await api.call('PUT', '/v1/models/churn-client', {
      body: {
        name: 'Churn',
        owner: 'ds@example.com',
        task: 'classification',
        features: [
          { name: 'age', type: 'numerical' },
          { name: 'plan', type: 'categorical' },
        ],
        schedule: { every: 'PT1H', window: 'PT1H', minSamples: 10 },
        approvers,
      },
    });
    expect(model.status).toBe(201);
    const baseline = await api.call('PUT', '/v1/models/churn-client/baseline', {
      body: { records: records(200) },
    });
    expect(baseline.status).toBe(201);
    modelKey = (await api.call('POST', '/v1/models/churn-client/keys')).body.key;
  });

  afterAll(async () => {
    await api?.close();
  });

  /** Predictions counted in the model's windows. */
  async function counted(): Promise<number> {
    const client = localDynamoDbClient(api.dynamoEndpoint);
    const items: Record<string, unknown>[] = [];
    let start: Record<string, never> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({
          TableName: localTableNames().Telemetry,
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      for (const raw of page.Items ?? []) items.push(unmarshall(raw));
      start = page.LastEvaluatedKey as typeof start;
    } while (start);
    client.destroy();
    let total = 0;
    for (const delta of await countingDeltas(items)) {
      for (const [name, value] of Object.entries(delta['@prediction'] ?? {})) {
        if (name.startsWith('c:') || name === 'miss') total += value;
      }
    }
    return total;
  }

  it('sends a batch, and a resent batch id is answered as a replay', async () => {
    const client = new VigilClient({ url: api.url, key: modelKey });
    const batch = { batchId: newBatchId(), records: records(30) };
    await expect(client.sendPredictions('churn-client', batch)).resolves.toEqual({ accepted: 30 });
    await expect(client.sendPredictions('churn-client', batch)).resolves.toEqual({
      accepted: 30,
      replayed: true,
    });
    expect(await counted()).toBe(30);
  });

  it('retries when the answer is lost on the way back, and the batch counts once', async () => {
    // A proxy to the runtime that, the first time, hangs up instead of passing the answer back.
    let forwarded = 0;
    const forward = (drop: boolean) => async (req: IncomingMessage, res: ServerResponse, body: string) => {
      forwarded++;
      const answer = await fetch(`${api.url}${req.url}`, {
        method: req.method,
        headers: { 'content-type': 'application/json', 'x-api-key': String(req.headers['x-api-key']) },
        body,
      });
      const text = await answer.text();
      if (drop) return hangUp(req);
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(text);
    };
    const proxy = await scriptedServer([forward(true), forward(false)]);
    try {
      const before = await counted();
      const client = new VigilClient({ url: proxy.url, key: modelKey, baseDelayMs: 1 });
      await expect(
        client.sendPredictions('churn-client', { batchId: newBatchId(), records: records(40) }),
      ).resolves.toEqual({
        accepted: 40,
        replayed: true,
      });
      expect(forwarded).toBe(2);
      expect((await counted()) - before).toBe(40);
    } finally {
      await proxy.close();
    }
  });

  it('retries feedback whose answer was lost, and counts it once', async () => {
    let forwarded = 0;
    const forward = (drop: boolean) => async (req: IncomingMessage, res: ServerResponse, body: string) => {
      forwarded++;
      const answer = await fetch(`${api.url}${req.url}`, {
        method: req.method,
        headers: { 'content-type': 'application/json', 'x-api-key': String(req.headers['x-api-key']) },
        body,
      });
      const text = await answer.text();
      if (drop) return hangUp(req);
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(text);
    };
    const proxy = await scriptedServer([forward(true), forward(false)]);
    try {
      const client = new VigilClient({ url: proxy.url, key: modelKey, baseDelayMs: 1 });
      const answer = await client.sendFeedback('churn-client', { category: 'complaint', message: 'lost' });
      expect(answer).toMatchObject({ accepted: 1, replayed: true });
      expect(forwarded).toBe(2);
      const db = localDynamoDbClient(api.dynamoEndpoint);
      const page = await db.send(
        new ScanCommand({ TableName: localTableNames().Governance, ConsistentRead: true }),
      );
      db.destroy();
      const stored = (page.Items ?? [])
        .map((item) => unmarshall(item))
        .filter((item) => item.pk === 'FEEDBACK#churn-client' && item.message === 'lost');
      expect(stored.map((item) => item.feedbackId)).toEqual([answer.feedbackId]);
    } finally {
      await proxy.close();
    }
  });

  it('throws the API refusal with the fields at fault', async () => {
    const client = new VigilClient({ url: api.url, key: modelKey });
    const error = await client
      .sendPredictions('churn-client', {
        batchId: newBatchId(),
        records: [{ features: { age: 'old' }, prediction: 'stay' }],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VigilApiError);
    expect(error).toMatchObject({ status: 400, attempts: 1 });
    expect((error as VigilApiError).issues.map((issue) => issue.path)).toContain('records[0].features.age');
  });
});
