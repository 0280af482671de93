import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDynamoDbClient, localTableNames } from '../../local/dynamodb.ts';
import { approvers, startTestApi, type TestApi } from '../support/api.ts';
import { expectSegmentColumn, loadSegmentFixtures } from '../support/segment-fixtures.ts';

/**
 * Segments through the server: the golden fixture's baseline and window records sent over HTTP,
 * and the evaluation's segment figures compared with SciPy's; per-segment performance from
 * actuals; the model's `segments` field checked at the edge; a batch's segment counters in its
 * one delta item.
 */
const [fixture] = loadSegmentFixtures();
if (!fixture) throw new Error('no segment fixture: run scripts/golden/segment_fixtures.py');

const shown = (value: string) => ([...value].length <= 32 ? value : `${[...value].slice(0, 31).join('')}…`);

describe('segments (local runtime on dynalite)', () => {
  let api: TestApi;
  // biome-ignore lint/suspicious/noExplicitAny: an evaluation read field by field
  let evaluation: any;
  const current = fixture.current.map((record, i) => ({ ...record, predictionId: `p${i}` }));
  /** Actuals: every third prediction is wrong. */
  const actualOf = (i: number) =>
    i % 3 === 0 ? (current[i]?.prediction === 'churn' ? 'stay' : 'churn') : current[i]?.prediction;

  beforeAll(async () => {
    api = await startTestApi();
    const model = { ...fixture.model, groundTruth: { lookbackDays: 1 } };
    expect((await api.call('PUT', '/v1/models/regions', { body: model })).status).toBe(201);
    const baseline = await api.call('PUT', '/v1/models/regions/baseline', {
      body: { records: fixture.reference },
    });
    expect(baseline.status).toBe(201);
    expect(baseline.body.segments).toEqual({ region: fixture.expected.segments.length });
    for (let i = 0; i < current.length; i += 500) {
      const sent = await api.call('POST', '/v1/models/regions/predictions', {
        body: { batchId: `b${i}`, records: current.slice(i, i + 500) },
      });
      expect(sent.status).toBe(202);
    }
    for (let i = 0; i < current.length; i += 500) {
      const actuals = await api.call('POST', '/v1/models/regions/actuals', {
        body: {
          records: current
            .slice(i, i + 500)
            .map((r, j) => ({ predictionId: r.predictionId, actual: actualOf(i + j) })),
        },
      });
      expect(actuals.body, JSON.stringify(actuals.body)).toMatchObject({ matched: 500 });
    }
    const response = await api.call('POST', '/v1/models/regions/evaluations');
    expect(response.status).toBe(201);
    evaluation = (await api.call('GET', `/v1/evaluations/${response.body.evaluationId}`)).body;
  });
  afterAll(async () => {
    await api.close();
  });

  it("reports every segment's samples, reference size, dataset verdict and status as SciPy's figures say", () => {
    const expected = fixture.expected.segments;
    expect(evaluation.segmentCounts).toEqual({
      total: expected.length,
      listed: expected.length,
      breach: expected.filter((s) => s.status === 'breach').length,
      ok: expected.filter((s) => s.status === 'ok').length,
      insufficient_data: expected.filter((s) => s.status === 'insufficient_data').length,
    });
    for (const want of expected) {
      const got = evaluation.segments.find(
        // biome-ignore lint/suspicious/noExplicitAny: a segment read field by field
        (s: any) => s.feature === 'region' && s.value === shown(want.value),
      );
      expect(got, want.value).toMatchObject({
        samples: want.samples,
        referenceRecords: want.records,
        status: want.status,
        dataset: { driftedColumns: want.dataset.driftedColumns, drifted: want.dataset.drifted },
      });
    }
  });

  it('lists breaching segments first, with the columns matching SciPy, and names them in the reasons', () => {
    const breaching = fixture.expected.segments.filter((s) => s.status === 'breach');
    expect(evaluation.status).toBe('breach');
    // biome-ignore lint/suspicious/noExplicitAny: segments read field by field
    const first = evaluation.segments.slice(0, breaching.length).map((s: any) => s.value);
    expect(first.sort()).toEqual(breaching.map((s) => s.value).sort());
    let detailed = 0;
    for (const want of fixture.expected.segments) {
      // biome-ignore lint/suspicious/noExplicitAny: a segment read field by field
      const got = evaluation.segments.find((s: any) => s.value === shown(want.value));
      if (!got.columns) continue;
      detailed++;
      want.columns.forEach((column, i) => {
        expectSegmentColumn(got.columns[i], column, `region=${want.value}`);
      });
      const drifted = want.columns.filter((c) => c.drifted).map((c) => c.name);
      // biome-ignore lint/suspicious/noExplicitAny: a drifted column read field by field
      expect(got.drifted.map((c: any) => c.name).sort()).toEqual(drifted.sort());
    }
    // Every breaching segment has its detail; the budget keeps the rest bounded.
    expect(detailed).toBeGreaterThanOrEqual(breaching.length);
    for (const segment of breaching) {
      expect(
        evaluation.reasons.some((r: string) => r.startsWith(`region=${shown(segment.value)}: data drift in`)),
      ).toBe(true);
    }
  });

  it('shows the segments in the HTML report as a table, breaching ones first', async () => {
    const report = await api.call('GET', `/v1/evaluations/${evaluation.evaluationId}/report`);
    expect(report.status).toBe(200);
    const section = String(report.body).match(/<section class="segments"[\s\S]*?<\/section>/)?.[0] ?? '';
    const statuses = [...section.matchAll(/class="segment-status (\w+)"/g)].map((m) => m[1]);
    const breaching = fixture.expected.segments.filter((s) => s.status === 'breach').length;
    expect(statuses).toHaveLength(fixture.expected.segments.length);
    expect(statuses.slice(0, breaching)).toEqual(Array(breaching).fill('breach'));
    expect(statuses.slice(breaching)).not.toContain('breach');
    expect(section).toContain('region = south');
  });

  it("computes each segment's performance from the actuals joined to its predictions", () => {
    for (const want of fixture.expected.segments.filter((s) => s.value === 'south' || s.value === 'north')) {
      const members = current
        .map((record, i) => ({ record, i }))
        .filter(({ record }) => record.features.region === want.value);
      const correct = members.filter(({ record, i }) => actualOf(i) === record.prediction).length;
      // biome-ignore lint/suspicious/noExplicitAny: a segment read field by field
      const got = evaluation.segments.find((s: any) => s.value === want.value);
      expect(got.performance.samples).toBe(members.length);
      expect(got.performance.metrics.accuracy).toBe(correct / members.length);
    }
  });

  it("writes each batch's segment counters in its one delta item", async () => {
    const client = localDynamoDbClient(api.dynamoEndpoint);
    const { Items = [] } = await client.send(
      new ScanCommand({
        TableName: localTableNames().Telemetry,
        ConsistentRead: true,
        FilterExpression: 'begins_with(pk, :pk) AND begins_with(sk, :sk)',
        ExpressionAttributeValues: { ':pk': { S: 'PROFILE#regions#' }, ':sk': { S: 'delta#1#' } },
      }),
    );
    client.destroy();
    // Three batches of 500 records and 51 segments: each batch is one item (part 0 of 1).
    const deltas = Items;
    expect(deltas.length).toBeGreaterThan(0);
    for (const delta of deltas) expect(delta.parts?.N).toBe('1');
  });

  it('refuses a segment feature that is unknown, numerical, repeated, or one too many, naming it', async () => {
    const base = {
      name: 'm',
      owner: 'o@example.com',
      task: 'classification',
      features: [
        { name: 'a', type: 'categorical' },
        { name: 'b', type: 'categorical' },
        { name: 'c', type: 'categorical' },
        { name: 'd', type: 'categorical' },
        { name: 'x', type: 'numerical' },
      ],
      approvers,
    };
    const cases: [unknown, string, RegExp][] = [
      [['nope'], 'segments[0]', /unknown feature/],
      [['a', 'x'], 'segments[1]', /must be categorical/],
      [['a', 'a'], 'segments[1]', /duplicate/],
      [['a', 'b', 'c', 'd'], 'segments', /3/],
    ];
    const before = await api.snapshot();
    for (const [segments, path, message] of cases) {
      const response = await api.call('PUT', '/v1/models/refused', { body: { ...base, segments } });
      expect(response.status).toBe(400);
      const issue = response.body.error.issues.find((i: { path: string }) => i.path === path);
      expect(issue?.message, JSON.stringify(response.body)).toMatch(message);
    }
    expect(await api.snapshot()).toBe(before);
  });
});
