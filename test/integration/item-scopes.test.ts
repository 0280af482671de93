import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { localTableNames } from '../../local/dynamodb.ts';
import { type ItemRequest, recordItemRequests, refusal } from '../support/item-scopes.ts';
import { approvers, Harness } from './workflow/harness.ts';

/**
 * The key-prefix grants of the functions that face callers who are not operators
 * (lib/item-scopes.ts) against what their code really asks DynamoDB for: each handler runs its
 * paths on the local runtime while every request it sends is recorded, and each request must be
 * one the function's role would be allowed in AWS. A key layout that changes without its grant
 * fails here, not in production with AccessDenied.
 */
describe('item scopes of the exposed functions', () => {
  let h: Harness;
  let recorder: ReturnType<typeof recordItemRequests>;
  let hotRecorder: ReturnType<typeof recordItemRequests>;
  const tableNames = localTableNames();

  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    h = await Harness.start();
    // The functions' own client, loaded by the runtime with its environment.
    const { dynamoDb, hotDynamoDbClient } = (await import('../../functions/commons/clients/dynamodb.ts')) as {
      dynamoDb: DynamoDBDocumentClient;
      hotDynamoDbClient: DynamoDBClient;
    };
    recorder = recordItemRequests(dynamoDb);
    // The hot path's own client (model reads and delta writes of ingest).
    hotRecorder = recordItemRequests(hotDynamoDbClient);
  });
  afterAll(async () => {
    recorder?.stop();
    hotRecorder?.stop();
    await h?.close();
  });

  const requestsOf = (fn: string) =>
    [...recorder.requests, ...hotRecorder.requests].filter((r) => r.fn === fn);
  const refusals = (fn: string) =>
    requestsOf(fn)
      .map((r) => refusal(r, tableNames))
      .filter(Boolean);

  it('ingest and the authorizer stay within their keys on every ingest path', async () => {
    // Prepare: a model that keeps predictions for ground truth, its baseline and a model key.
    const modelId = 'scoped-ingest';
    const model = await h.call('PUT', `/v1/models/${modelId}`, {
      body: {
        name: 'Scoped ingest',
        owner: 'ds@example.com',
        task: 'classification',
        features: [
          { name: 'age', type: 'numerical' },
          { name: 'plan', type: 'categorical' },
        ],
        thresholds: { performance: { accuracy: { min: 0.8 } } },
        approvers,
        groundTruth: { lookbackDays: 7 },
      },
    });
    expect(model.status, model.text).toBe(201);
    const records = (n: number, from = 0) =>
      Array.from({ length: n }, (_, i) => ({
        predictionId: `p-${from + i}`,
        features: { age: 20 + ((from + i) % 40), plan: ['basic', 'pro'][(from + i) % 2] },
        prediction: (from + i) % 3 === 0 ? 'churn' : 'stay',
      }));
    expect(
      (
        await h.call('PUT', `/v1/models/${modelId}/baseline`, {
          body: { records: records(200).map(({ predictionId: _, ...r }) => r) },
        })
      ).status,
    ).toBe(201);
    const created = await h.call('POST', `/v1/models/${modelId}/keys`);
    expect(created.status).toBe(201);
    const key = created.body.key as string;

    // Act: every ingest route with the model key, a replay, an unknown and a revoked key.
    const send = (route: string, body: unknown, with_ = key) =>
      h.call('POST', `/v1/models/${modelId}/${route}`, { key: with_, body });
    expect((await send('predictions', { batchId: 'b-1', records: records(50) })).status).toBe(202);
    expect((await send('predictions', { batchId: 'b-1', records: records(50) })).status).toBe(202);
    expect((await send('predictions', { records: records(20, 50) })).status).toBe(202);
    // A version in production, then a batch served by another: ingest opens its incident.
    const version = { version: '1.0.0', artifactUri: 's3://m/1.0.0', metrics: { accuracy: 0.9 } };
    expect((await h.call('POST', `/v1/models/${modelId}/versions`, { body: version })).status).toBe(201);
    const unapproved = await send('predictions', { modelVersion: '1.1.0', records: records(5, 70) });
    expect(unapproved.body.incidentId).toMatch(/^inc_/);
    expect((await send('predictions', { modelVersion: '1.1.0', records: records(5, 75) })).status).toBe(202);
    expect(
      (
        await send('actuals', {
          records: [
            { predictionId: 'p-1', actual: 'stay' },
            { predictionId: 'p-2', actual: 'churn' },
            { predictionId: 'unknown', actual: 'stay' },
          ],
        })
      ).status,
    ).toBe(202);
    expect(
      (
        await send('metrics', {
          records: [{ name: 'latency_ms', value: 12, timestamp: new Date().toISOString() }],
        })
      ).status,
    ).toBe(202);
    expect(
      (await send('feedback', { category: 'complaint', message: 'Not churn.', predictionId: 'p-3' })).status,
    ).toBe(202);
    expect((await send('predictions', { records: records(1) }, 'vgl_not-a-key')).status).toBe(401);
    const keyId = created.body.keyId as string;
    expect((await h.call('DELETE', `/v1/models/${modelId}/keys/${keyId}`)).status).toBe(200);
    expect((await send('predictions', { records: records(1) })).status).toBe(401);

    // Assess
    const ingest = requestsOf('ingest');
    const tablesUsed = new Set(ingest.map((r) => r.table));
    expect(tablesUsed).toEqual(new Set([tableNames.Governance, tableNames.Telemetry]));
    expect(
      ingest.some((r) => r.action === 'PutItem' && r.leadingKeys.some((k) => k.startsWith('FEEDBACK#'))),
    ).toBe(true);
    expect(
      ingest.some((r) => r.action === 'PutItem' && r.leadingKeys.some((k) => k.startsWith('LOCK#'))),
    ).toBe(true);
    // The hot path's requests are among those checked: the model read and the delta writes.
    const hot = hotRecorder.requests.filter((r) => r.fn === 'ingest');
    expect(hot.some((r) => r.action === 'GetItem' && r.leadingKeys.includes(`MODEL#${modelId}`))).toBe(true);
    expect(
      hot.some((r) => r.action === 'BatchWriteItem' && r.leadingKeys.some((k) => k.startsWith('PROFILE#'))),
    ).toBe(true);
    expect(refusals('ingest')).toEqual([]);
    expect(requestsOf('authorizer').some((r) => r.leadingKeys.some((k) => k.startsWith('KEY#')))).toBe(true);
    expect(refusals('authorizer')).toEqual([]);
  });

  it('the approval pages and the incident API stay within their keys along an incident', async () => {
    // Prepare: an incident opened over HTTP, waiting for the Data Science Lead, and the key of
    // the model's training pipeline.
    await h.registerModel('scoped-incident');
    const pipelineKey = (
      await h.call('POST', '/v1/models/scoped-incident/keys', { body: { scopes: ['candidate'] } })
    ).body.key as string;
    const { incidentId } = await h.breachOverHttp('scoped-incident');
    const message = await h.message('dsl@example.com', /Investigate the alert/);

    // Act: the page, the decision, a second decision, the decided page, a tampered link; then the
    // candidate from the pipeline, a stale one, and the incident read and listed.
    const { page, token } = await h.open(message);
    expect(page.status).toBe(200);
    const link = message.links[0] as string;
    const form = { token: token as string, decision: 'retrain', comment: 'Real drift.' };
    expect((await h.call('POST', link, { key: null, form })).status).toBe(200);
    expect((await h.call('POST', link, { key: null, form })).status).toBe(409);
    expect((await h.call('GET', link, { key: null })).status).toBe(200);
    expect(
      (await h.call('GET', link.replace(/sig=[^&]+/, `sig=${'A'.repeat(43)}`), { key: null })).status,
    ).toBe(403);
    expect(
      (await h.submitCandidate(incidentId, { version: '0.9.0', accuracy: 0.92 }, pipelineKey)).status,
    ).toBe(400);
    expect(
      (
        await h.call('POST', `/v1/incidents/${incidentId}/candidate`, {
          key: pipelineKey,
          body: {
            version: '1.1.0',
            artifactUri: 's3://models/1.1.0',
            metrics: { accuracy: 0.92, f1: 0.86 },
            scopeChanged: false,
            notes: 'Retrained.',
          },
        })
      ).status,
    ).toBe(202);
    expect((await h.call('GET', `/v1/incidents/${incidentId}`)).status).toBe(200);
    expect((await h.call('GET', '/v1/incidents?modelId=scoped-incident&status=open')).status).toBe(200);
    expect((await h.call('GET', '/v1/incidents?modelId=scoped-incident')).status).toBe(200);

    // Assess
    const approvals = requestsOf('approvals');
    expect(approvals.some((r) => r.index === 'gsi1')).toBe(true);
    expect(approvals.some((r) => r.action === 'UpdateItem')).toBe(true);
    // The drifted features' distributions read the window's profiles.
    expect(
      approvals.some((r) => r.table === tableNames.Telemetry && r.leadingKeys[0]?.startsWith('PROFILE#')),
    ).toBe(true);
    expect(refusals('approvals')).toEqual([]);
    const incidents = requestsOf('incidents');
    expect(incidents.some((r) => r.index === 'gsi1' && r.leadingKeys.includes('INCIDENTS'))).toBe(true);
    // `status=open` reads the sparse index of open incidents alone.
    expect(incidents.some((r) => r.index === 'open' && r.leadingKeys.includes('OPEN_INCIDENTS'))).toBe(true);
    expect(incidents.some((r) => r.action === 'PutItem' && r.leadingKeys[0]?.startsWith('MODEL#'))).toBe(
      true,
    );
    expect(refusals('incidents')).toEqual([]);
  });

  it("the workflow's steps that only read and record stay within their keys", async () => {
    // Prepare: an incident through preparation, re-validation, promotion and the check after
    // stabilisation, up to Operations' verification.
    await h.registerModel('scoped-records');
    const { incidentId } = await h.breachOverHttp('scoped-records');

    // Act
    await h.decide(await h.message('dsl@example.com', /Investigate the alert/), 'retrain');
    expect((await h.submitCandidate(incidentId, { version: '1.1.0', accuracy: 0.95 })).status).toBe(202);
    await h.decide(await h.message('qa@example.com', /QA validation/), 'approve');
    await h.message('ops@example.com', /Operations verification/);

    // Assess: every step of the function ran, each within its keys.
    const records = requestsOf('workflowRecords');
    expect(records.some((r) => r.index === 'gsi1' && r.leadingKeys[0]?.startsWith('EVALS#'))).toBe(true);
    expect(records.some((r) => r.action === 'PutItem' && r.leadingKeys[0]?.startsWith('EVENTS#'))).toBe(true);
    expect(refusals('workflowRecords')).toEqual([]);
  });

  it('the incident API stays within its keys when an agent decides', async () => {
    // Prepare: a model that lets an agent decide the investigation at once, an incident waiting
    // for it, and the agent's key.
    await h.registerModel('scoped-agent', {
      approvalTimeoutHours: 1,
      agents: ['investigate'],
      agentOverruleMinutes: 0,
    });
    const agentKey = (
      await h.call('POST', '/v1/models/scoped-agent/keys', { body: { scopes: ['agent'], name: 'bot' } })
    ).body.key as string;
    const { incidentId } = await h.openIncident('scoped-agent');
    await h.message('dsl@example.com', /Investigate the alert/);
    const body = { step: 'investigate', decision: 'retrain', comment: 'Real drift.' };
    const from = recorder.requests.length;

    // Act: the decision, applied at once, and its replay.
    const decided = await h.call('POST', `/v1/incidents/${incidentId}/decisions`, { key: agentKey, body });
    const replayed = await h.call('POST', `/v1/incidents/${incidentId}/decisions`, { key: agentKey, body });

    // Assess
    expect(decided.status, decided.text).toBe(200);
    expect(replayed.status).toBe(200);
    const incidents = recorder.requests.slice(from).filter((r) => r.fn === 'incidents');
    const touched = (action: string, prefix: string) =>
      incidents.some((r) => r.action === action && r.leadingKeys.some((k) => k.startsWith(prefix)));
    expect(touched('UpdateItem', 'APPROVAL#')).toBe(true);
    expect(touched('PutItem', 'AGENT_DUE')).toBe(true);
    expect(touched('PutItem', 'AGENT_ANNOUNCE')).toBe(true);
    expect(touched('DeleteItem', 'AGENT_DUE')).toBe(true);
    expect(refusals('incidents')).toEqual([]);
  });

  it('the reports stay within their keys: the KPI report and an evaluation report', async () => {
    // Prepare: a model with a breach evaluation and its incident.
    await h.registerModel('scoped-reports');
    const { incidentId } = await h.breachOverHttp('scoped-reports');
    const { evaluationId } = (await h.call('GET', `/v1/incidents/${incidentId}`)).body as {
      evaluationId: string;
    };

    // Act
    const kpi = await h.call('GET', '/v1/models/scoped-reports/report');
    const html = await h.call('GET', `/v1/evaluations/${evaluationId}/report`);

    // Assess: the KPI report read its incidents from two key ranges, and wrote nothing.
    expect(kpi.status, kpi.text).toBe(200);
    expect(kpi.body.incidentsByOutcome.open).toBe(1);
    expect(html.status).toBe(200);
    const reports = requestsOf('reports');
    expect(reports.some((r) => r.index === 'gsi1' && r.leadingKeys.includes('INCIDENTS'))).toBe(true);
    expect(reports.some((r) => r.index === 'ended' && r.leadingKeys.includes('ENDED#scoped-reports'))).toBe(
      true,
    );
    expect(
      reports.some((r) => r.table === tableNames.Telemetry && r.leadingKeys[0]?.startsWith('TOTALS#')),
    ).toBe(true);
    expect(reports.filter((r) => !['GetItem', 'Query', 'BatchGetItem'].includes(r.action))).toEqual([]);
    expect(refusals('reports')).toEqual([]);
  });

  it('the webhook functions stay within their keys: webhooks, their count and their failures', async () => {
    // Prepare: a receiver on this machine that takes one webhook's deliveries and refuses the other's.
    const seen: string[] = [];
    const receiver = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        seen.push(request.url ?? '');
        response.writeHead(request.url === '/gone' ? 404 : 204);
        response.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    try {
      const ok = await h.call('POST', '/v1/webhooks', {
        body: { url: `${base}/ok`, events: ['incident.opened'] },
      });
      const gone = await h.call('POST', '/v1/webhooks', {
        body: { url: `${base}/gone`, events: ['evaluation.breach'] },
      });
      expect(ok.status).toBe(201);
      expect(gone.status).toBe(201);
      const goneId = (gone.body as { webhookId: string }).webhookId;

      // Act: a breach publishes both events; the list, the failures, a test event and a deletion.
      await h.registerModel('scoped-hooks');
      await h.breachOverHttp('scoped-hooks');
      await vi.waitFor(() => expect(seen).toEqual(expect.arrayContaining(['/ok', '/gone'])), {
        timeout: 20_000,
        interval: 50,
      });
      await h.runtime.webhooks.idle();
      expect((await h.call('GET', '/v1/webhooks')).status).toBe(200);
      const failures = await h.call('GET', `/v1/webhooks/${goneId}/failures`);
      expect((failures.body as { failures: unknown[] }).failures).toHaveLength(1);
      expect((await h.call('POST', `/v1/webhooks/${goneId}/test`)).status).toBe(202);
      await h.runtime.webhooks.idle();
      expect((await h.call('DELETE', `/v1/webhooks/${goneId}`)).status).toBe(200);
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }

    // Assess
    const api = requestsOf('webhooks');
    const delivery = requestsOf('webhookDelivery');
    expect(api.some((r) => r.action === 'UpdateItem' && r.leadingKeys.includes('WEBHOOKS'))).toBe(true);
    expect(delivery.some((r) => r.index === 'gsi1' && r.leadingKeys.includes('WEBHOOKS'))).toBe(true);
    expect(
      delivery.some(
        (r) => r.action === 'PutItem' && /^WEBHOOK#wh_[0-9a-f]{20}#FAILURES$/.test(r.leadingKeys[0] ?? ''),
      ),
    ).toBe(true);
    expect(refusals('webhooks')).toEqual([]);
    expect(refusals('webhookDelivery')).toEqual([]);
  });

  it('the check refuses what the grants do not cover', () => {
    const request = (fn: ItemRequest['fn'], action: string, keys: string[], index?: string): ItemRequest => ({
      fn,
      action,
      table: tableNames.Governance,
      leadingKeys: keys,
      ...(index ? { index } : {}),
    });
    // A task token, a model write, an unkeyed scan, another index listing, a mixed batch.
    expect(refusal(request('authorizer', 'GetItem', ['APPROVAL#apr_1']), tableNames)).toMatch(
      /APPROVAL#apr_1/,
    );
    expect(refusal(request('authorizer', 'PutItem', ['KEY#abc']), tableNames)).toMatch(/may not PutItem/);
    expect(refusal(request('ingest', 'UpdateItem', ['MODEL#m']), tableNames)).toMatch(/MODEL#m/);
    expect(refusal(request('approvals', 'Scan', []), tableNames)).toMatch(/may not Scan/);
    expect(refusal(request('approvals', 'Query', ['INCIDENTS'], 'gsi1'), tableNames)).toMatch(/INCIDENTS/);
    expect(refusal(request('ingest', 'BatchGetItem', ['MODEL#m', 'KEY#k']), tableNames)).toMatch(/KEY#k/);
    expect(refusal(request('approvals', 'GetItem', ['APPROVAL#apr_1']), tableNames)).toBeUndefined();
    // The reports read neither a chain of events nor the open incidents, and write nothing.
    expect(refusal(request('reports', 'Query', ['EVENTS#inc_1']), tableNames)).toMatch(/EVENTS#inc_1/);
    expect(refusal(request('reports', 'Query', ['OPEN_INCIDENTS'], 'open'), tableNames)).toMatch(
      /may not Query/,
    );
    expect(refusal(request('reports', 'PutItem', ['MODEL#m']), tableNames)).toMatch(/may not PutItem/);
    expect(refusal(request('webhookDelivery', 'PutItem', ['WEBHOOK#wh_1']), tableNames)).toMatch(
      /WEBHOOK#wh_1/,
    );
  });
});
