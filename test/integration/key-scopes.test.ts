import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { localDynamoDbClient, localTableNames } from '../../local/dynamodb.ts';
import { Harness } from './workflow/harness.ts';

const candidate = {
  version: '1.1.0',
  artifactUri: 's3://models/scoped/1.1.0',
  metrics: { accuracy: 0.91 },
  scopeChanged: false,
};
const metric = { records: [{ name: 'latency_ms', value: 12 }] };

/**
 * Model keys carry scopes: `ingest` for the inference host (the default, and every key made
 * before scopes), `candidate` for the training pipeline. The inference host's key cannot post
 * the candidate that decides whether the AI-IRB and Legal see a change.
 */
describe('model key scopes', () => {
  let h: Harness;
  let db: DynamoDBDocumentClient;
  let incidentId: string;
  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    h = await Harness.start();
    db = DynamoDBDocumentClient.from(localDynamoDbClient(h.runtime.dynamoEndpoint));
    await h.registerModel('scoped');
    incidentId = (await h.openIncident('scoped')).incidentId;
    await h.decide(await h.message('dsl@example.com', /Investigate/), 'retrain');
    await h.message('dev@example.com', /Retrain the model/);
  });
  afterAll(async () => {
    db?.destroy();
    await h?.close();
  });

  const create = (body?: unknown) =>
    h.call('POST', '/v1/models/scoped/keys', body === undefined ? {} : { body });

  it('creates keys with their scopes, ingest by default, lists them, and refuses unknown scopes', async () => {
    // Act
    const plain = await create();
    const empty = await create({});
    const both = await create({ scopes: ['ingest', 'candidate', 'candidate'] });
    const unknown = await create({ scopes: ['ingest', 'admin'] });
    const none = await create({ scopes: [] });
    const model = await h.call('GET', '/v1/models/scoped');

    // Assess
    expect(plain.status).toBe(201);
    expect(plain.body.scopes).toEqual(['ingest']);
    expect(empty.body.scopes).toEqual(['ingest']);
    expect(both.body.scopes).toEqual(['ingest', 'candidate']);
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.issues).toEqual([
      { path: 'scopes[1]', message: expect.stringContaining('"ingest"|"candidate"') },
    ]);
    expect(none.status).toBe(400);
    expect(none.body.error.issues[0].path).toBe('scopes');
    const listed = new Map(
      model.body.keys.map((k: { keyId: string; scopes: string[] }) => [k.keyId, k.scopes]),
    );
    expect(listed.get(plain.body.keyId)).toEqual(['ingest']);
    expect(listed.get(both.body.keyId)).toEqual(['ingest', 'candidate']);
  });

  it('refuses an ingest key on the candidate route and a candidate key on ingest routes, with a JSON 403', async () => {
    // Prepare
    const ingest = (await create()).body.key as string;
    const pipeline = (await create({ scopes: ['candidate'] })).body.key as string;
    const before = await h.incident(incidentId);

    // Act
    const byIngestKey = await h.call('POST', `/v1/incidents/${incidentId}/candidate`, {
      key: ingest,
      body: candidate,
    });
    const metricsByPipeline = await h.call('POST', '/v1/models/scoped/metrics', {
      key: pipeline,
      body: metric,
    });
    const metricsByIngestKey = await h.call('POST', '/v1/models/scoped/metrics', {
      key: ingest,
      body: metric,
    });
    const after = await h.incident(incidentId);
    const byPipeline = await h.call('POST', `/v1/incidents/${incidentId}/candidate`, {
      key: pipeline,
      body: candidate,
    });

    // Assess
    expect(byIngestKey.status).toBe(403);
    expect(byIngestKey.body.error).toMatchObject({ code: 'forbidden', issues: [{ path: 'x-api-key' }] });
    expect(after.candidate).toBeUndefined();
    expect(after.audit).toEqual(before.audit);
    expect(metricsByPipeline.status).toBe(403);
    expect(metricsByPipeline.body.error.code).toBe('forbidden');
    expect(metricsByIngestKey.status).toBe(202);
    expect(byPipeline.status).toBe(202);
    expect(byPipeline.body.candidate).toMatchObject({
      version: '1.1.0',
      submittedBy: expect.stringMatching(/^model:key_/),
    });
  });

  it('names keys, and keeps an agent key to the decisions route and other keys off it', async () => {
    // Prepare
    const agent = await create({ scopes: ['agent'], name: 'triage-bot' });
    const ingest = (await create()).body.key as string;
    const pipeline = (await create({ scopes: ['candidate'] })).body.key as string;
    const decision = { step: 'investigate', decision: 'retrain', comment: 'Drift confirmed.' };

    // Act
    const badNames = await Promise.all(
      ['', ' bot', 'x'.repeat(65), 'bot<script>'].map((name) => create({ scopes: ['agent'], name })),
    );
    const listed = (await h.call('GET', '/v1/models/scoped')).body.keys.find(
      (k: { keyId: string }) => k.keyId === agent.body.keyId,
    );
    const key = agent.body.key as string;
    const ingestByAgent = await h.call('POST', '/v1/models/scoped/metrics', { key, body: metric });
    const candidateByAgent = await h.call('POST', `/v1/incidents/${incidentId}/candidate`, {
      key,
      body: { ...candidate, version: '1.3.0' },
    });
    const decisionByIngest = await h.call('POST', `/v1/incidents/${incidentId}/decisions`, {
      key: ingest,
      body: decision,
    });
    const decisionByPipeline = await h.call('POST', `/v1/incidents/${incidentId}/decisions`, {
      key: pipeline,
      body: decision,
    });
    // The model delegates nothing: the agent key reaches the route and is refused on the step.
    const decisionByAgent = await h.call('POST', `/v1/incidents/${incidentId}/decisions`, {
      key,
      body: decision,
    });

    // Assess
    expect(agent.status).toBe(201);
    expect(agent.body).toMatchObject({ scopes: ['agent'], name: 'triage-bot' });
    for (const bad of badNames) {
      expect(bad.status).toBe(400);
      expect(bad.body.error.issues[0].path).toBe('name');
    }
    expect(listed).toMatchObject({ scopes: ['agent'], name: 'triage-bot' });
    for (const refused of [ingestByAgent, candidateByAgent, decisionByIngest, decisionByPipeline]) {
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatchObject({ code: 'forbidden', issues: [{ path: 'x-api-key' }] });
    }
    expect(decisionByAgent.status).toBe(403);
    expect(decisionByAgent.body.error.issues).toEqual([
      { path: 'step', message: 'governance.agents delegates no step' },
    ]);
  });

  it('treats a key stored before scopes existed as an ingest key', async () => {
    // Prepare: a key whose items have no scopes, as every key made before them.
    const made = (await create({ scopes: ['ingest', 'candidate'] })).body as { keyId: string; key: string };
    const { hashKey } = await import('../../functions/commons/registry/store.ts');
    const table = localTableNames().Governance;
    for (const Key of [
      { pk: 'MODEL#scoped', sk: `KEY#${made.keyId}` },
      { pk: `KEY#${hashKey(made.key)}`, sk: '#KEY' },
    ]) {
      await db.send(
        new UpdateCommand({
          TableName: table,
          Key,
          UpdateExpression: 'REMOVE scopes',
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    }

    // Act
    const listed = (await h.call('GET', '/v1/models/scoped')).body.keys.find(
      (k: { keyId: string }) => k.keyId === made.keyId,
    );
    const ingest = await h.call('POST', '/v1/models/scoped/metrics', { key: made.key, body: metric });
    const submit = await h.call('POST', `/v1/incidents/${incidentId}/candidate`, {
      key: made.key,
      body: { ...candidate, version: '1.2.0' },
    });

    // Assess
    expect(listed.scopes).toEqual(['ingest']);
    expect(ingest.status).toBe(202);
    expect(submit.status).toBe(403);
  });
});
