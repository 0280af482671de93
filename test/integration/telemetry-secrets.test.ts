import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboxMessage } from '../../local/outbox.ts';
import { repoRoot, spawnRuntime } from '../support/process.ts';

const ADMIN_KEY = 'vgl_admin_telemetry-test-admin-key-0123456789';
const SIGNING_SECRET = 'telemetry-test-signing-secret-0123456789abcdef';
const approvers = {
  dataScienceLead: ['dsl@example.com'],
  devTeam: ['dev@example.com'],
  qa: ['qa@example.com'],
  irbLiaison: ['irb@example.com'],
  legal: ['legal@example.com'],
  mlops: ['mlops@example.com'],
  operations: ['ops@example.com'],
  support: ['support@example.com'],
};

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * What the handlers would send to X-Ray and to the logs, running as in Lambda with active
 * tracing: the runtime runs in its own process with Lambda's environment (a sampled trace
 * header, the X-Ray daemon's address), the X-Ray daemon is a UDP socket of this test, and the
 * logger writes JSON lines at DEBUG with event logging asked for. A model key is created and
 * used, an approval page is read and decided, and workflow tasks run with their task tokens;
 * none of those secrets, nor any response, may be in a trace segment or a log line. No handler
 * sends a segment of its own: Lambda's active tracing records each invocation (its timing and
 * status, no payload), and no function bundles an X-Ray SDK (test/unit/bundles.test.ts).
 */
describe('secrets never reach traces or logs', () => {
  let daemon: Socket;
  const segments: string[] = [];
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'vigil-telemetry-'));
    daemon = createSocket('udp4');
    daemon.on('message', (message) => segments.push(message.toString('utf8')));
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    daemon?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps keys, signatures, form tokens, task tokens and responses out of traces and logs', async () => {
    // Prepare: the runtime as Lambda would run the handlers, with tracing on.
    const runtime = await spawnRuntime({
      VIGIL_DATA_DIR: dataDir,
      VIGIL_ADMIN_KEY: ADMIN_KEY,
      VIGIL_SIGNING_SECRET: SIGNING_SECRET,
      VIGIL_SCHEDULER_TICK_SECONDS: '0',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      LAMBDA_TASK_ROOT: repoRoot,
      _HANDLER: 'index.handler',
      _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
      AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      POWERTOOLS_LOGGER_LOG_EVENT: 'true',
    });
    const call = async (
      method: string,
      url: string,
      options: { key?: string | null; body?: unknown; raw?: string; form?: Record<string, string> } = {},
    ) => {
      const headers: Record<string, string> = {};
      const key = options.key === undefined ? ADMIN_KEY : options.key;
      if (key) headers['x-api-key'] = key;
      let body: string | undefined;
      if (options.form) {
        body = new URLSearchParams(options.form).toString();
        headers['content-type'] = 'application/x-www-form-urlencoded';
      } else if (options.body !== undefined || options.raw !== undefined) {
        body = options.raw ?? JSON.stringify(options.body);
        headers['content-type'] = 'application/json';
      }
      const response = await fetch(url.startsWith('http') ? url : `${runtime.url}${url}`, {
        method,
        headers,
        body,
      });
      const text = await response.text();
      return { status: response.status, text, json: () => JSON.parse(text) };
    };
    const outbox = async () => (await call('GET', '/_local/outbox', { key: null })).json() as OutboxMessage[];
    const email = (to: string, subject: RegExp) =>
      waitFor(
        async () => (await outbox()).find((m) => m.to === to && subject.test(m.subject)),
        subject.source,
      );

    let random = 7;
    const uniform = () => {
      random = (Math.imul(random, 1664525) + 1013904223) >>> 0;
      return random / 2 ** 32;
    };
    const records = (n: number, shift: number, plans: string[]) =>
      Array.from({ length: n }, () => ({
        features: {
          age: Math.round(30 + shift + 20 * uniform()),
          plan: plans[Math.floor(uniform() * plans.length)],
        },
        prediction: uniform() < 0.3 ? 'churn' : 'stay',
      }));

    const secrets: [string, string][] = [
      ['the admin key', ADMIN_KEY],
      ['the signing secret', SIGNING_SECRET],
    ];
    let modelKey = '';
    try {
      // Act: a model with a key of its own, drifted predictions sent with that key, the breach.
      const model = await call('PUT', '/v1/models/traced', {
        body: {
          name: 'Traced',
          owner: 'ds@example.com',
          task: 'classification',
          features: [
            { name: 'age', type: 'numerical' },
            { name: 'plan', type: 'categorical' },
          ],
          thresholds: { performance: { accuracy: { min: 0.8 } } },
          approvers,
          governance: { approvalTimeoutHours: 1, stabilisationSeconds: 0 },
        },
      });
      expect(model.status).toBe(201);
      expect(
        (
          await call('POST', '/v1/models/traced/versions', {
            body: { version: '1.0.0', artifactUri: 's3://models/traced/1.0.0', metrics: { accuracy: 0.9 } },
          })
        ).status,
      ).toBe(201);
      const created = await call('POST', '/v1/models/traced/keys');
      expect(created.status).toBe(201);
      modelKey = created.json().key;
      secrets.push(['the model key', modelKey]);
      expect(
        (
          await call('PUT', '/v1/models/traced/baseline', {
            body: { records: records(1500, 0, ['basic', 'plus', 'pro']), metrics: { accuracy: 0.9 } },
          })
        ).status,
      ).toBe(201);
      const sent = await call('POST', '/v1/models/traced/predictions', {
        key: modelKey,
        body: { records: records(600, 25, ['pro', 'enterprise']) },
      });
      expect(sent.status).toBe(202);
      // A malformed body: its text is in the parser's message, which the client gets back.
      const canary = 'canary-6d1f';
      secrets.push(['a request body', canary]);
      const malformed = await call('POST', '/v1/models/traced/predictions', {
        key: modelKey,
        raw: canary,
      });
      expect(malformed.status).toBe(400);
      const evaluation = await call('POST', '/v1/models/traced/evaluations');
      expect(evaluation.json()).toMatchObject({ status: 'breach' });
      const incidentId = evaluation.json().incidentId as string;

      // The Data Science Lead reads the page (the form token) and decides.
      const investigate = await email('dsl@example.com', /Investigate the alert/);
      const link = investigate.links[0] as string;
      const page = await call('GET', link, { key: null });
      expect(page.status).toBe(200);
      const token = /name="token" value="([^"]+)"/.exec(page.text)?.[1] as string;
      secrets.push(['a form token', token]);
      const decided = await call('POST', link, {
        key: null,
        form: { token, decision: 'retrain', comment: 'Confirmed drift.' },
      });
      expect(decided.status).toBe(200);

      // The training pipeline's candidate resumes the retraining task; QA is asked next.
      await email('dev@example.com', /Retrain the model/);
      const candidate = await call('POST', `/v1/incidents/${incidentId}/candidate`, {
        body: {
          version: '1.1.0',
          artifactUri: 's3://models/traced/1.1.0',
          metrics: { accuracy: 0.92 },
          scopeChanged: false,
        },
      });
      expect(candidate.status).toBe(202);
      await email('qa@example.com', /QA validation/);
      for (const message of await outbox()) {
        for (const sent of message.links) {
          const sig = new URL(sent).searchParams.get('sig');
          if (sig) secrets.push([`the signature of a link to ${message.to}`, sig]);
        }
      }
    } finally {
      expect(await runtime.stop('SIGINT')).toBe(0);
    }
    // UDP on loopback arrives at once; give the last datagrams a moment all the same.
    await new Promise((resolve) => setTimeout(resolve, 200));

    // Assess: no handler sent a trace segment, and the logger did log...
    const logLines = runtime
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{') && line.includes('"level"'));
    expect(segments).toEqual([]);
    const traced = segments.join('\n');
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('\n')).toContain('"function_request_id"');
    // ...and none of the secrets, nor any task token, nor any response.
    expect(secrets.length).toBeGreaterThanOrEqual(6);
    const leaks: string[] = [];
    for (const [where, text] of [
      ['traces', traced],
      ['logs', logLines.join('\n')],
    ] as const) {
      for (const [what, secret] of secrets) if (text.includes(secret)) leaks.push(`${where}: ${what}`);
      if (/local-[0-9a-f]{8}-[0-9a-f]{4}-/.test(text)) leaks.push(`${where}: a task token`);
      if (/"statusCode"|<html/.test(text)) leaks.push(`${where}: a response`);
      if (/"records"|"x-api-key"/i.test(text)) leaks.push(`${where}: a request`);
    }
    expect(leaks).toEqual([]);
  });
});
