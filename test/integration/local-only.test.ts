import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';

const LINK = 'http://localhost/approvals/apr_0123456789abcdef0123456789abcdef?sig=secret-signature';

/** A GET over a real socket from this machine, with the Host header given. */
function get(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sent = httpRequest(url, { headers: { host } }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    sent.on('error', reject);
    sent.end();
  });
}

/** A request as the server would see it from `remoteAddress`, and the answer the route writes. */
function fromPeer(remoteAddress: string, host: string, url = '/_local/outbox') {
  const request = {
    url,
    method: 'GET',
    headers: { host },
    socket: { remoteAddress },
  } as unknown as IncomingMessage;
  const answer = { status: 0, body: '' };
  const response = {
    writeHead: (status: number) => {
      answer.status = status;
    },
    end: (body: string) => {
      answer.body = body;
    },
  } as unknown as ServerResponse;
  return { request, response, answer };
}

/**
 * The local-only routes hand out every signed link, so they follow the dashboard's rule:
 * loopback peers under a loopback host name only (no DNS rebinding, no VIGIL_HOST=0.0.0.0 leak).
 */
describe('/_local routes', () => {
  let api: TestApi;
  let port: string;
  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    api = await startTestApi();
    port = new URL(api.url).port;
    await api.runtime.governance.outbox.send({
      to: ['qa@example.com'],
      subject: 'QA',
      text: 'x',
      links: [LINK],
    });
  });
  afterAll(async () => api?.close());

  it('answers this machine under a loopback name', async () => {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) {
      const answer = await get(`${api.url}/_local/outbox`, host);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject([{ to: 'qa@example.com', links: [LINK] }]);
    }
  });

  it('refuses a foreign Host header (a rebound DNS name), with a JSON error and no link', async () => {
    const answers = await Promise.all([
      get(`${api.url}/_local/outbox`, `evil.example:${port}`),
      get(`${api.url}/_local/anything`, 'evil.example'),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(403);
      expect(JSON.parse(answer.body)).toEqual({
        error: {
          code: 'local_only',
          message: 'The /_local routes answer requests from this machine only',
          issues: [],
        },
      });
    }
  });

  it('refuses a peer that is not this machine, even under a loopback name', () => {
    const route = api.runtime.governance.route;
    const remote = fromPeer('192.0.2.10', `localhost:${port}`);
    const mapped = fromPeer('::ffff:192.0.2.10', `127.0.0.1:${port}`);
    const local = fromPeer('::ffff:127.0.0.1', `localhost:${port}`);
    const unknown = fromPeer('127.0.0.1', `localhost:${port}`, '/_local/executions');

    expect([remote, mapped, local, unknown].map((c) => route(c.request, c.response))).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(remote.answer.status).toBe(403);
    expect(remote.answer.body).not.toContain('sig=');
    expect(mapped.answer.status).toBe(403);
    expect(local.answer.status).toBe(200);
    expect(local.answer.body).toContain('sig=');
    expect(unknown.answer.status).toBe(404);
  });
});
