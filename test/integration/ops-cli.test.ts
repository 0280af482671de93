import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ADMIN_KEY, approvers, startTestApi, type TestApi } from '../support/api.ts';
import { repoRoot } from '../support/process.ts';

/**
 * The ops CLI (`vigil models|incidents|report`) as a person runs it: `node cli/vigil.mjs` in a
 * child process, over plain HTTP against the local runtime in this process, with the key from
 * a flag or the environment.
 */
const MODEL = 'churn-ops';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function rng(seed: number) {
  let s = seed >>> 0;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  return { uniform, normal: () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()) };
}

function rows(n: number, seed: number, shift: { age: number; plans: string[] }) {
  const r = rng(seed);
  return Array.from({ length: n }, () => ({
    features: {
      age: Math.round((40 + shift.age + 10 * r.normal()) * 10) / 10,
      plan: shift.plans[Math.floor(r.uniform() * shift.plans.length)] as string,
    },
    prediction: r.uniform() < 0.3 ? 'churn' : 'stay',
  }));
}

describe('vigil models, incidents and report against the local runtime', () => {
  let api: TestApi;
  let incidentId: string;

  /** `node cli/vigil.mjs ...args` with only the given Vigil variables set. */
  function vigil(args: string[], env: Record<string, string> = {}): Promise<Run> {
    const { VIGIL_URL: _url, VIGIL_API_KEY: _key, ...inherited } = process.env;
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['cli/vigil.mjs', ...args],
        { cwd: repoRoot, env: { ...inherited, ...env } },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  /** The runtime's URL and the admin key as flags. */
  const at = () => ['--url', api.url, '--key', ADMIN_KEY];

  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    api = await startTestApi();
    // A model with a drifted window, whose evaluation opens an incident.
    await api.call('PUT', `/v1/models/${MODEL}`, {
      body: {
        name: 'Churn',
        owner: 'ds@example.com',
        task: 'classification',
        features: [
          { name: 'age', type: 'numerical' },
          { name: 'plan', type: 'categorical' },
        ],
        schedule: { every: 'PT1H', window: 'PT1H', minSamples: 100 },
        approvers,
      },
    });
    await api.call('PUT', `/v1/models/${MODEL}/baseline`, {
      body: { records: rows(1000, 1, { age: 0, plans: ['basic', 'plus'] }) },
    });
    await api.call('POST', `/v1/models/${MODEL}/versions`, {
      body: { version: '1.0.0', artifactUri: 's3://models/churn/1.0.0' },
    });
    await api.call('POST', `/v1/models/${MODEL}/predictions`, {
      body: { records: rows(400, 2, { age: 15, plans: ['pro', 'enterprise'] }) },
    });
    const evaluation = await api.call('POST', `/v1/models/${MODEL}/evaluations`);
    expect(evaluation.body.status).toBe('breach');
    incidentId = evaluation.body.incidentId;
    // The workflow's first step asks the Data Science Lead: the incident is then at `investigate`.
    for (let i = 0; i < 200; i++) {
      const incident = await api.call('GET', `/v1/incidents/${incidentId}`);
      if (incident.body.currentStep === 'investigate') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  afterAll(async () => {
    await api?.close();
    vi.restoreAllMocks();
  });

  it('lists the models as text and as the API’s JSON', async () => {
    // Act
    const [text, json] = await Promise.all([
      vigil(['models', 'list', ...at()]),
      vigil(['models', 'list', '--json', ...at()]),
    ]);

    // Assess
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^MODEL\s+NAME\s+PRODUCTION\s+BASELINE\s+BASELINE FITTED\s+OWNER$/);
    expect(lines.slice(1)).toHaveLength(1);
    expect(lines[1]).toMatch(/^churn-ops\s+Churn\s+1\.0\.0\s+v1\s+\d{4}-\d\d-\d\dT\S+Z\s+ds@example\.com$/);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual((await api.call('GET', '/v1/models')).body);
  });

  it('shows who receives email for a model, and resends confirmations', async () => {
    // Act
    const [text, resend] = [
      await vigil(['models', 'delivery', MODEL, ...at()]),
      await vigil(['models', 'delivery', MODEL, '--resend', '--json', ...at()]),
    ];

    // Assess: the runtime confirms at once (VIGIL_CONFIRM_SUBSCRIPTIONS=auto), so nobody needs one.
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ADDRESS\s+DELIVERY$/);
    expect(lines).toContainEqual(expect.stringMatching(/^dsl@example\.com\s+confirmed$/));
    expect(lines.slice(1)).toHaveLength(8);
    expect(resend.code).toBe(0);
    expect(JSON.parse(resend.stdout)).toMatchObject({
      modelId: MODEL,
      resent: [],
      delivery: { 'qa@example.com': 'confirmed' },
    });
  });

  it('lists incidents filtered by model and status, with the key and URL from the environment', async () => {
    // Prepare
    const env = { VIGIL_URL: api.url, VIGIL_API_KEY: ADMIN_KEY };

    // Act
    const [open, resolved, json] = await Promise.all([
      vigil(['incidents', 'list', '--model', MODEL, '--status', 'open'], env),
      vigil(['incidents', 'list', '--model', MODEL, '--status', 'resolved'], env),
      vigil(['incidents', 'list', '--json'], env),
    ]);

    // Assess
    expect(open.code).toBe(0);
    const lines = open.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^INCIDENT\s+MODEL\s+STATUS\s+STEP\s+OPENED\s+CYCLES$/);
    expect(lines.slice(1)).toHaveLength(1);
    expect(lines[1]).toMatch(new RegExp(`^${incidentId}\\s+${MODEL}\\s+open\\s+investigate\\s+\\S+Z\\s+0$`));
    expect(resolved).toEqual({ code: 0, stdout: 'No incident.\n', stderr: '' });
    expect(JSON.parse(json.stdout).incidents.map((i: { incidentId: string }) => i.incidentId)).toEqual([
      incidentId,
    ]);
  });

  it('shows one incident with its steps and approvals', async () => {
    // Act
    const [text, json] = await Promise.all([
      vigil(['incidents', 'show', incidentId, ...at()]),
      vigil(['incidents', 'show', incidentId, '--json', ...at()]),
    ]);

    // Assess
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Incident:           ${incidentId}\n`);
    expect(text.stdout).toContain('Status:             open\n');
    expect(text.stdout).toContain('Current step:       investigate\n');
    expect(text.stdout).toMatch(/Reasons:\n {2}- Data drift in 2 of 2 features/);
    expect(text.stdout).toMatch(
      /Steps:\n\s+AT\s+STEP\s+EVENT\s+OUTCOME\s+BY\n\s+\S+Z\s+opened\s+entered\s+-\s+-\n\s+\S+Z\s+investigate\s+entered/,
    );
    expect(text.stdout).toMatch(
      /Approvals:\n.*\n\s+investigate\s+pending\s+\S+Z\s+-\s+-\s+dsl@example\.com\n/,
    );
    const detail = JSON.parse(json.stdout);
    expect(detail).toMatchObject({ incidentId, modelId: MODEL, status: 'open' });
    expect(text.stdout).toContain(`Audit trail: ${detail.audit.length} event(s)`);
  });

  it('prints the KPI report of a period', async () => {
    // Prepare
    const from = new Date(Date.now() - 86_400_000).toISOString();
    const to = new Date(Date.now() + 86_400_000).toISOString();

    // Act
    const [text, json] = await Promise.all([
      vigil(['report', MODEL, '--from', from, '--to', to, ...at()]),
      vigil(['report', MODEL, '--from', from, '--to', to, '--json', ...at()]),
    ]);

    // Assess
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`KPI report of ${MODEL}, ${from} to ${to}\n`);
    expect(text.stdout).toContain('Performance deviations:  1\n');
    expect(text.stdout).toContain('Time to resolution:      no incident closed\n');
    expect(text.stdout).toContain('User feedback:           0 over 400 predictions (0.00 per 1,000)\n');
    expect(text.stdout).toContain(
      'Incidents opened:        open 1, resolved 0, false_alarm 0, abandoned 0, reverted 0, failed 0\n',
    );
    expect(text.stdout).toMatch(
      /Breaching windows \(by window end\):\n {2}\S+Z {2}Data drift in 2 of 2 features/,
    );
    expect(JSON.parse(json.stdout)).toMatchObject({
      modelId: MODEL,
      from,
      to,
      performanceDeviations: { count: 1 },
    });
  });

  it('exits 1 with the API’s message on an API error, never a stack trace', async () => {
    // Prepare: a port nothing listens on (taken, then released)
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    const nowhere = `http://127.0.0.1:${port}`;

    // Act
    const [badKey, unknown, period, unreachable] = await Promise.all([
      vigil(['models', 'list', '--url', api.url, '--key', 'wrong']),
      vigil(['incidents', 'show', 'inc_00000000000000000000', ...at()]),
      vigil(['report', MODEL, '--from', '2026-02-01T00:00:00Z', '--to', '2026-01-01T00:00:00Z', ...at()]),
      vigil(['models', 'list', '--url', nowhere, '--key', ADMIN_KEY]),
    ]);

    // Assess
    expect(badKey).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'vigil models: 401 Missing, unknown or revoked API key; x-api-key: send an active admin or model key in the x-api-key header\n',
    });
    expect(unknown).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'vigil incidents: 404 Incident inc_00000000000000000000 does not exist; incidentId: unknown incident\n',
    });
    expect(period.code).toBe(1);
    expect(period.stderr).toMatch(/^vigil report: 400 .*from must be before to\n$/);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(
      new RegExp(`^vigil models: cannot reach ${nowhere}: .*ECONNREFUSED.*\n$`),
    );
    for (const run of [badKey, unknown, period, unreachable]) expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 on a usage error, before calling the API', async () => {
    // Act
    const runs = await Promise.all([
      vigil(['incidents', 'list', '--status', 'closed', ...at()]),
      vigil(['models', 'list', '--url', api.url]),
      vigil(['report', MODEL, '--from', 'yesterday', ...at()]),
      vigil(['incidents', 'remove', incidentId, ...at()]),
      vigil(['models', 'list', '--verbose', ...at()]),
    ]);

    // Assess
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2, 2]);
    expect(runs.map((r) => r.stderr)).toEqual([
      'vigil incidents: --status must be one of open, resolved, false_alarm, abandoned, failed, got "closed"\n',
      'vigil models: no API key: pass --key or set VIGIL_API_KEY (the admin key)\n',
      'vigil report: --from must be an ISO 8601 date-time, got "yesterday"\n',
      'vigil incidents: unknown action "remove" (list or show)\n',
      expect.stringMatching(/^vigil models: Unknown option '--verbose'/),
    ]);
  });
});
