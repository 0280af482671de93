import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvers, startTestApi, type TestApi } from '../support/api.ts';
import { findOnPath } from '../support/executables.ts';
import { hangUp, inProgress, json, scriptedServer } from '../support/scripted-server.ts';

/**
 * The README's examples of sending predictions, run as a reader would paste them, against the
 * local runtime: the Python one (with `requests`) and the TypeScript one (with `fetch`).
 */
const ROOT = join(import.meta.dirname, '../..');
const run = promisify(execFile);

/** The fenced code blocks of a README section, by language. */
function examples(language: string): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((part) => part.startsWith('Sending data from a model endpoint'));
  if (!section) throw new Error('README has no section "Sending data from a model endpoint"');
  return [...section.matchAll(new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\``, 'gm'))].map(
    (m) => m[1] as string,
  );
}

/** python3 with requests, or why not. */
async function pythonWithRequests(): Promise<{ python?: string; reason?: string }> {
  const python = findOnPath('python3');
  if (!python) return { reason: 'python3 is not on PATH' };
  const probe = await run(python, ['-c', 'import requests']).catch(() => undefined);
  return probe ? { python } : { reason: `${python} has no requests (pip install requests)` };
}

describe('the README examples of sending predictions', () => {
  let api: TestApi;
  let env: NodeJS.ProcessEnv;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-readme-'));

  beforeAll(async () => {
    api = await startTestApi();
    const model = await api.call('PUT', '/v1/models/churn', {
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
    const baseline = await api.call('PUT', '/v1/models/churn/baseline', {
      body: {
        records: Array.from({ length: 50 }, (_, i) => ({
          features: { age: 20 + i, plan: i % 2 ? 'pro' : 'basic' },
          prediction: 'stay',
        })),
      },
    });
    expect(baseline.status).toBe(201);
    const key = (await api.call('POST', '/v1/models/churn/keys')).body.key as string;
    env = { ...process.env, VIGIL_URL: api.url, VIGIL_MODEL_KEY: key };
  });

  afterAll(async () => {
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has one Python example and two TypeScript ones', () => {
    expect(examples('python')).toHaveLength(1);
    expect(examples('ts')).toHaveLength(2);
  });

  it('Python with requests: the batch is accepted', async ({ skip }) => {
    const { python, reason } = await pythonWithRequests();
    if (!python) {
      console.warn(`README Python example skipped: ${reason}`);
      return skip(reason);
    }
    const script = join(dir, 'send.py');
    writeFileSync(script, examples('python')[0] as string);
    const { stdout } = await run(python, [script], { env });
    expect(stdout).toBe('2 False\n');
  });

  /** Runs an example against a server that throttles, fails, hangs up and sees the batch in progress first. */
  async function againstRefusals(command: string, args: string[]) {
    const server = await scriptedServer([
      json(429, { message: 'Too Many Requests' }),
      (_req, res) => {
        res.writeHead(503, { 'content-type': 'text/html' });
        res.end('<html>Service Unavailable</html>');
      },
      hangUp,
      inProgress,
      json(202, { accepted: 2 }),
    ]);
    try {
      const { stdout } = await run(command, args, { env: { ...env, VIGIL_URL: server.url }, cwd: ROOT });
      const batches = server.bodies.map((body) => JSON.parse(body).batchId);
      return { stdout, batches };
    } finally {
      await server.close();
    }
  }

  it('Python: retries 429, 503, no answer and 409 batch_in_progress with the same batch id', async ({
    skip,
  }) => {
    const { python, reason } = await pythonWithRequests();
    if (!python) return skip(reason);
    const script = join(dir, 'send.py');
    writeFileSync(script, examples('python')[0] as string);
    const { stdout, batches } = await againstRefusals(python, [script]);
    expect(stdout).toBe('2 False\n');
    expect(batches).toHaveLength(5);
    expect(new Set(batches).size).toBe(1);
  });

  it('TypeScript: retries 429, 503, no answer and 409 batch_in_progress with the same batch id', async () => {
    const script = join(dir, 'send.mts');
    writeFileSync(script, examples('ts')[0] as string);
    const { stdout, batches } = await againstRefusals(process.execPath, ['--import', 'tsx', script]);
    expect(stdout).toBe('2 false\n');
    expect(batches).toHaveLength(5);
    expect(new Set(batches).size).toBe(1);
  });

  it('TypeScript with fetch: the batch is accepted', async () => {
    const script = join(dir, 'send.mts');
    writeFileSync(script, examples('ts')[0] as string);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script], { env, cwd: ROOT });
    expect(stdout).toBe('2 false\n');
  });
});
