import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { approvers, startTestApi, type TestApi } from '../support/api.ts';
import { repoRoot } from '../support/process.ts';

const run = promisify(execFile);

function rng(seed: number) {
  let s = seed >>> 0;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

type Row = { features: { age: number | null; plan: string }; prediction: string };

function rows(n: number, seed: number, shift: { age: number; plans: string[] }): Row[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => ({
    features: {
      age: r.uniform() < 0.02 ? null : Math.round((40 + shift.age + 10 * r.normal()) * 10) / 10,
      plan: shift.plans[Math.floor(r.uniform() * shift.plans.length)] as string,
    },
    prediction: r.uniform() < 0.3 ? 'churn' : 'stay',
  }));
}

const same = { age: 0, plans: ['basic', 'basic', 'plus', 'pro'] };
const drifted = { age: 15, plans: ['pro', 'pro', 'pro', 'enterprise'] };

function model(minSamples: number) {
  return {
    name: 'Churn',
    owner: 'ds@example.com',
    task: 'classification',
    features: [
      { name: 'age', type: 'numerical' },
      { name: 'plan', type: 'categorical' },
    ],
    schedule: { every: 'PT1H', window: 'PT1H', minSamples },
    approvers,
  };
}

function csv(records: Row[]): string {
  return [
    'age,plan,prediction',
    ...records.map((r) => `${r.features.age ?? ''},${r.features.plan},${r.prediction}`),
  ].join('\n');
}

describe('evaluations (local runtime on dynalite)', () => {
  let api: TestApi;
  let dir: string;
  const reference = rows(2000, 1, same);

  async function setUp(modelId: string, minSamples = 100) {
    expect((await api.call('PUT', `/v1/models/${modelId}`, { body: model(minSamples) })).status).toBe(201);
    expect(
      (await api.call('PUT', `/v1/models/${modelId}/baseline`, { body: { records: reference } })).status,
    ).toBe(201);
    await api.call('POST', `/v1/models/${modelId}/versions`, {
      body: { version: '1.0.0', artifactUri: 's3://m/1.0.0' },
    });
  }

  async function send(modelId: string, records: Row[]) {
    for (let i = 0; i < records.length; i += 500) {
      const sent = await api.call('POST', `/v1/models/${modelId}/predictions`, {
        body: { records: records.slice(i, i + 500) },
      });
      expect(sent.status).toBe(202);
    }
  }

  beforeAll(async () => {
    api = await startTestApi();
    dir = await mkdtemp(path.join(tmpdir(), 'vigil-eval-'));
  });
  afterAll(async () => {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('finds no breach in undrifted data', async () => {
    await setUp('steady');
    await send('steady', rows(800, 2, same));

    const evaluation = await api.call('POST', '/v1/models/steady/evaluations');

    expect(evaluation.status).toBe(201);
    expect(evaluation.body).toMatchObject({
      status: 'ok',
      reasons: [],
      samples: 800,
      baselineVersion: 1,
      baselineStale: false,
    });
    expect(evaluation.body.drift.dataset).toMatchObject({ driftedColumns: 0, columns: 2, drifted: false });
    expect(evaluation.body.incidentId).toBeUndefined();
    expect((await api.call('GET', '/v1/incidents?modelId=steady')).body.incidents).toEqual([]);
  });

  it('reports too few records as insufficient_data and opens no incident', async () => {
    await setUp('sparse', 500);
    await send('sparse', rows(120, 3, drifted));

    const evaluation = await api.call('POST', '/v1/models/sparse/evaluations');

    expect(evaluation.body).toMatchObject({
      status: 'insufficient_data',
      samples: 120,
      minSamples: 500,
      reasons: [],
    });
    expect(evaluation.body.incidentId).toBeUndefined();
    expect((await api.call('GET', '/v1/incidents?modelId=sparse')).body.incidents).toEqual([]);
  });

  it('breaches on drifted data, names the drifted features, and opens one incident with one execution', async () => {
    await setUp('shifted');
    const current = rows(900, 4, drifted);
    await send('shifted', current);
    const engine = api.runtime.governance.workflow;
    const starts = vi.spyOn(engine, 'startExecution');

    const first = await api.call('POST', '/v1/models/shifted/evaluations');
    const second = await api.call('POST', '/v1/models/shifted/evaluations');

    expect(first.body.status).toBe('breach');
    expect(first.body.reasons).toHaveLength(1);
    expect(first.body.reasons[0]).toMatch(
      /^Data drift in 2 of 2 features \(100% ≥ 50%\): age \(wassersteinNormed [\d.]+ ≥ 0\.1\), plan \(jensenShannon [\d.]+ ≥ 0\.1\)$/,
    );
    expect(
      first.body.drift.columns
        .filter((c: { drifted: boolean }) => c.drifted)
        .map((c: { name: string }) => c.name),
    ).toEqual(['age', 'plan']);
    expect(first.body.predictionDrift).toMatchObject({ name: 'prediction', type: 'categorical' });
    expect(second.body.status).toBe('breach');
    expect(second.body.incidentId).toBe(first.body.incidentId);

    const incidents = (await api.call('GET', '/v1/incidents?modelId=shifted')).body.incidents;
    expect(incidents).toHaveLength(1);
    const started = await Promise.all(starts.mock.results.map((r) => r.value));
    expect(started.filter((s: { started: boolean }) => s.started)).toHaveLength(1);
    const incident = (await api.call('GET', `/v1/incidents/${first.body.incidentId}`)).body;
    expect(incident.executionArn).toMatch(new RegExp(`${first.body.incidentId}$`));
    expect(incident.evaluations ?? [incident.evaluationId]).toContain(second.body.evaluationId);

    const alerts = api.runtime.governance.outbox
      .list()
      .filter((m) => m.subject.includes('monitoring alert') && m.subject.includes('shifted'));
    expect(alerts.map((m) => m.to).sort()).toEqual(['dev@example.com', 'dsl@example.com']);
    expect(alerts[0]?.text).toContain('Data drift in 2 of 2 features');
    starts.mockRestore();

    // The server's binned statistics equal `vigil drift` on the same records as CSV.
    await writeFile(path.join(dir, 'ref.csv'), csv(reference));
    await writeFile(path.join(dir, 'cur.csv'), csv(current));
    const cli = await run(
      process.execPath,
      [
        'cli/vigil.mjs',
        'drift',
        '--format',
        'json',
        '--reference',
        path.join(dir, 'ref.csv'),
        '--current',
        path.join(dir, 'cur.csv'),
        '--column-type',
        'age=numerical',
        '--column-type',
        'plan=categorical',
        '--column-type',
        'prediction=categorical',
      ],
      { cwd: repoRoot },
    ).catch((error: { stdout: string; code: number }) => ({ stdout: error.stdout, code: error.code }));
    const report = JSON.parse(cli.stdout);
    const server = [...first.body.drift.columns, { ...first.body.predictionDrift, name: 'prediction' }];
    for (const column of report.columns) {
      const mine = server.find((c: { name: string }) => c.name === column.name);
      expect(mine, column.name).toBeDefined();
      expect(mine.reference.count).toBe(column.reference.count);
      expect(mine.current.count).toBe(column.current.count);
      for (const stat of ['psi', 'kl', 'jensenShannon', 'hellinger']) {
        expect(Math.abs(mine.stats[stat] - column.stats[stat]), `${column.name}.${stat}`).toBeLessThanOrEqual(
          1e-9 * Math.max(1, Math.abs(column.stats[stat])),
        );
      }
      if (column.type === 'categorical') {
        expect(mine.stats.chiSquare.dof).toBe(column.stats.chiSquare.dof);
        expect(
          Math.abs(mine.stats.chiSquare.statistic - column.stats.chiSquare.statistic),
        ).toBeLessThanOrEqual(1e-9 * Math.max(1, column.stats.chiSquare.statistic));
        expect(Math.abs(mine.stats.chiSquare.pValue - column.stats.chiSquare.pValue)).toBeLessThanOrEqual(
          1e-9,
        );
        expect(mine.stats.newCategories).toEqual(column.stats.newCategories);
      } else {
        // Within the documented bound, plus floating-point rounding.
        const slack = (x: number) => 1e-12 * Math.max(1, Math.abs(x));
        expect(Math.abs(mine.stats.ks.statistic - column.stats.ks.statistic)).toBeLessThanOrEqual(
          mine.stats.ks.errorBound + slack(column.stats.ks.statistic),
        );
        expect(Math.abs(mine.stats.wasserstein - column.stats.wasserstein)).toBeLessThanOrEqual(
          mine.stats.wassersteinErrorBound + slack(column.stats.wasserstein),
        );
      }
    }
  });

  it("judges a promoted version on its own data, never on its predecessor's", async () => {
    await setUp('promoted');
    await send('promoted', rows(600, 9, same));
    expect((await api.call('POST', '/v1/models/promoted/evaluations')).body).toMatchObject({
      status: 'ok',
      samples: 600,
    });

    await api.call('POST', '/v1/models/promoted/versions', {
      body: { version: '1.1.0', artifactUri: 's3://m/1.1.0' },
    });
    const { setProductionVersion, loadModel } = await import('../../functions/commons/registry/store.ts');
    await setProductionVersion('promoted', '1.1.0', '1.0.0');
    const model = await loadModel('promoted');
    expect(model.productionSince).toBeDefined();

    const after = await api.call('POST', '/v1/models/promoted/evaluations');
    // The window starts at the first bucket after the promotion: none of 1.0.0's predictions.
    const since = Math.ceil(Date.parse(model.productionSince as string) / 60_000) * 60_000;
    expect(after.body).toMatchObject({ status: 'insufficient_data', samples: 0, productionVersion: '1.1.0' });
    expect(Date.parse(after.body.windowStart)).toBe(Math.min(since, Date.parse(after.body.windowEnd)));

    const { sinceProduction } = await import('../../functions/commons/evaluation/evaluate.ts');
    const at = (iso: string) => new Date(iso);
    const promotedAt = { ...model, productionSince: '2026-01-01T10:30:20Z' };
    // Inside the window: the first whole bucket after the change.
    expect(sinceProduction(promotedAt, at('2026-01-01T10:00:00Z'), at('2026-01-01T11:00:00Z'), 60)).toEqual(
      at('2026-01-01T10:31:00Z'),
    );
    // Before the window: the window as it was; after it: an empty window at its end.
    expect(sinceProduction(promotedAt, at('2026-01-01T10:40:00Z'), at('2026-01-01T11:00:00Z'), 60)).toEqual(
      at('2026-01-01T10:40:00Z'),
    );
    expect(sinceProduction(promotedAt, at('2026-01-01T09:00:00Z'), at('2026-01-01T10:00:00Z'), 60)).toEqual(
      at('2026-01-01T10:00:00Z'),
    );
    // Production never changed version: the window as it was.
    const { productionSince: _, ...unchanged } = model;
    expect(sinceProduction(unchanged, at('2026-01-01T10:00:00Z'), at('2026-01-01T11:00:00Z'), 60)).toEqual(
      at('2026-01-01T10:00:00Z'),
    );
  });

  it('repairs a crash between opening the incident and starting its workflow on the next run', async () => {
    await setUp('crashy');
    await send('crashy', rows(600, 5, drifted));
    const engine = api.runtime.governance.workflow;
    const starts = vi.spyOn(engine, 'startExecution').mockRejectedValueOnce(new Error('engine unavailable'));

    const crashed = await api.call('POST', '/v1/models/crashy/evaluations');
    expect(crashed.status).toBe(500);
    const [written] = (await api.call('GET', '/v1/incidents?modelId=crashy')).body.incidents;
    expect(written.status).toBe('open');
    expect(written.executionArn).toBeUndefined();

    const repaired = await api.call('POST', '/v1/models/crashy/evaluations');

    expect(repaired.status).toBe(201);
    expect(repaired.body.incidentId).toBe(written.incidentId);
    const incident = (await api.call('GET', `/v1/incidents/${written.incidentId}`)).body;
    expect(incident.executionArn).toMatch(new RegExp(`${written.incidentId}$`));
    expect(starts).toHaveBeenCalledTimes(2);
    starts.mockRestore();
  });

  it('refuses a malformed model id with a 400 naming it, and an unknown model with a 404', async () => {
    for (const modelId of ['-starts-with-a-dash', 'x'.repeat(129), 'sp%20ace']) {
      const refused = await api.call('POST', `/v1/models/${modelId}/evaluations`);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({
        code: 'invalid_request',
        issues: [
          {
            path: 'path.modelId',
            message: 'letters, digits, "_", "." and "-", at most 128, starting with a letter or digit',
          },
        ],
      });
    }
    expect((await api.call('POST', `/v1/models/${'x'.repeat(128)}/evaluations`)).status).toBe(404);
  });

  it('lists and reads evaluations, and refuses unknown ones', async () => {
    const list = await api.call('GET', '/v1/models/shifted/evaluations?limit=5');
    expect(list.status).toBe(200);
    expect(list.body.evaluations.length).toBeGreaterThanOrEqual(2);
    const one = await api.call('GET', `/v1/evaluations/${list.body.evaluations[0].evaluationId}`);
    expect(one.body.modelId).toBe('shifted');
    expect((await api.call('GET', '/v1/evaluations/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await api.call('GET', '/v1/evaluations/not-a-uuid')).body.error.issues[0].path).toBe(
      'path.evaluationId',
    );
    expect((await api.call('GET', '/v1/models/shifted/evaluations?limit=0')).body.error.issues[0].path).toBe(
      'query.limit',
    );
  });

  it('breaches on accuracy from joined actuals, only after the configured run of distinct breaching windows', async () => {
    const body = {
      ...model(50),
      groundTruth: { lookbackDays: 7 },
      thresholds: { consecutiveBreaches: 2, performance: { accuracy: { min: 0.85 } } },
    };
    expect((await api.call('PUT', '/v1/models/accurate', { body })).status).toBe(201);
    await api.call('PUT', '/v1/models/accurate/baseline', {
      body: { records: reference, metrics: { accuracy: 0.9 } },
    });
    const current = rows(600, 6, same).map((r, i) => ({ ...r, predictionId: `acc-${i}` }));
    await api.call('POST', '/v1/models/accurate/predictions', { body: { records: current } });
    // 420 of 600 right: accuracy 0.7.
    const actuals = current.map((r, i) => ({
      predictionId: r.predictionId,
      actual: i < 420 ? r.prediction : r.prediction === 'churn' ? 'stay' : 'churn',
    }));
    expect(
      (await api.call('POST', '/v1/models/accurate/actuals', { body: { records: actuals } })).body,
    ).toEqual({ matched: 600, unmatched: 0 });

    // Three evaluations of one window (the clock stands still), then one of the next window.
    const now = Date.now();
    vi.useFakeTimers({ toFake: ['Date'], now });
    try {
      const first = await api.call('POST', '/v1/models/accurate/evaluations');
      expect(first.body).toMatchObject({
        status: 'breach',
        breachStreak: 1,
        reasons: ['accuracy 0.7 is below the minimum 0.85'],
      });
      expect(first.body.performance.fromActuals).toMatchObject({ samples: 600, metrics: { accuracy: 0.7 } });
      expect(first.body.incidentId).toBeUndefined();
      for (let again = 0; again < 2; again++) {
        const same = await api.call('POST', '/v1/models/accurate/evaluations');
        expect(same.body).toMatchObject({
          status: 'breach',
          breachStreak: 1,
          windowEnd: first.body.windowEnd,
        });
        expect(same.body.incidentId).toBeUndefined();
      }

      vi.setSystemTime(now + 60_000);
      const second = await api.call('POST', '/v1/models/accurate/evaluations');
      expect(second.body).toMatchObject({ status: 'breach', breachStreak: 2 });
      expect(second.body.windowEnd > first.body.windowEnd).toBe(true);
      expect(second.body.incidentId).toEqual(expect.any(String));
    } finally {
      vi.useRealTimers();
    }
  });

  it('evaluates due models on schedule, once per period, over the last complete window', async () => {
    const { runScheduledEvaluations } = await import('../../functions/commons/evaluation/schedule.ts');
    await setUp('scheduled');
    const now = new Date();

    const runs = await runScheduledEvaluations(now);
    const again = await runScheduledEvaluations(new Date(now.getTime() + 1000));

    const mine = runs.find((r) => r.modelId === 'scheduled');
    expect(mine).toMatchObject({ status: 'insufficient_data' });
    expect(again.find((r) => r.modelId === 'scheduled')).toBeUndefined();
    const evaluation = (await api.call('GET', `/v1/evaluations/${mine?.evaluationId}`)).body;
    expect(evaluation.trigger).toBe('schedule');
    expect(Date.parse(evaluation.windowEnd)).toBeLessThanOrEqual(now.getTime());
    expect(Date.parse(evaluation.windowEnd) - Date.parse(evaluation.windowStart)).toBe(3600_000);

    const later = await runScheduledEvaluations(new Date(now.getTime() + 3600_000 + 1000));
    expect(later.find((r) => r.modelId === 'scheduled')).toMatchObject({ status: 'insufficient_data' });
  });

  it("compacts every model's recently closed buckets on each scheduled run, due or not", async () => {
    const { runScheduledEvaluations } = await import('../../functions/commons/evaluation/schedule.ts');
    const { localDynamoDbClient, localTableNames } = await import('../../local/dynamodb.ts');
    const { QueryCommand } = await import('@aws-sdk/client-dynamodb');
    await setUp('tidy');
    await runScheduledEvaluations(new Date()); // evaluated now: not due again for an hour

    const bucket = Math.floor(Date.now() / 60_000) * 60 - 120;
    for (let i = 0; i < 4; i++) {
      await send(
        'tidy',
        rows(50, 30 + i, same).map((row) => ({ ...row, timestamp: (bucket + 5) * 1000 })),
      );
    }
    const client = localDynamoDbClient(api.dynamoEndpoint);
    const deltasIn = async () => {
      const { Items } = await client.send(
        new QueryCommand({
          TableName: localTableNames().Telemetry,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :delta)',
          ExpressionAttributeValues: {
            ':pk': { S: `PROFILE#tidy#60#${bucket}#0` },
            ':delta': { S: 'delta#' },
          },
          ConsistentRead: true,
        }),
      );
      return Items?.length ?? 0;
    };
    expect(await deltasIn()).toBe(4);

    const runs = await runScheduledEvaluations(new Date());
    expect(runs.find((r) => r.modelId === 'tidy')).toBeUndefined();
    expect(await deltasIn()).toBe(1);
    client.destroy();
  });
});
