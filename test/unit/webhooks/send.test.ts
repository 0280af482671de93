import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook } from '../../../functions/commons/webhooks/send.ts';

/** A receiver on this machine whose answer each path chooses. */
describe('sending a webhook request', () => {
  let server: Server;
  let base: string;
  const hits: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      hits.push(request.url ?? '');
      request.resume();
      const status = Number(/^\/status\/(\d{3})/.exec(request.url ?? '')?.[1] ?? 200);
      if (request.url === '/silent') return; // never answers
      if (request.url === '/big') {
        response.writeHead(200);
        response.end('x'.repeat(1_000_000));
        return;
      }
      response.writeHead(status, status === 302 ? { location: '/elsewhere' } : {});
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const local = { allowLoopback: true, timeoutMs: 2000 };
  const post = (path: string, options = local) => postWebhook(`${base}${path}`, '{}', {}, options);

  it('tells delivered, passing and permanent failures apart, and follows no redirect', async () => {
    // Act
    const [ok, unavailable, tooMany, gone, redirect, big] = await Promise.all([
      post('/status/204'),
      post('/status/503'),
      post('/status/429'),
      post('/status/410'),
      post('/status/302'),
      post('/big'),
    ]);

    // Assess
    expect(ok).toEqual({ outcome: 'delivered', status: 204 });
    expect(unavailable).toMatchObject({ outcome: 'retry', status: 503 });
    expect(tooMany).toMatchObject({ outcome: 'retry', status: 429 });
    expect(gone).toMatchObject({ outcome: 'permanent', status: 410 });
    expect(redirect).toMatchObject({ outcome: 'permanent', status: 302 });
    expect(big).toEqual({ outcome: 'delivered', status: 200 });
    expect(hits).not.toContain('/elsewhere');
  });

  it('gives up an attempt that gets no answer in time, and retries a refused connection', async () => {
    // Act
    const silent = await post('/silent', { allowLoopback: true, timeoutMs: 200 });
    const closed = await postWebhook('http://127.0.0.1:1/x', '{}', {}, local);

    // Assess
    expect(silent).toEqual({ outcome: 'retry', error: 'timeout after 200 ms' });
    expect(closed).toMatchObject({ outcome: 'retry', error: expect.stringMatching(/^connection/) });
  });

  it('refuses loopback where it is not allowed, without connecting', async () => {
    // Act
    const before = hits.length;
    const refused = await post('/status/200', { allowLoopback: false, timeoutMs: 2000 });

    // Assess
    expect(refused).toMatchObject({ outcome: 'permanent', error: expect.stringMatching(/https/) });
    expect(hits).toHaveLength(before);
  });

  it('checks every resolved address at send time and connects to the checked one only', async () => {
    // Prepare: a name that resolves to a public and a private address (DNS rebinding), one that
    // resolves to the metadata service, and one whose resolution fails.
    const resolveTo =
      (...addresses: string[]) =>
      async () =>
        addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    const options = (resolve: (host: string) => Promise<{ address: string; family: number }[]>) => ({
      allowLoopback: false,
      timeoutMs: 2000,
      resolve,
    });

    // Act
    const rebinding = await postWebhook(
      'https://hooks.example.com/x',
      '{}',
      {},
      options(resolveTo('93.184.215.14', '10.0.0.5')),
    );
    const metadata = await postWebhook(
      'https://hooks.example.com/x',
      '{}',
      {},
      options(resolveTo('169.254.169.254')),
    );
    const mapped = await postWebhook(
      'https://hooks.example.com/x',
      '{}',
      {},
      options(resolveTo('::ffff:127.0.0.1')),
    );
    const failing = await postWebhook(
      'https://hooks.example.com/x',
      '{}',
      {},
      {
        allowLoopback: false,
        resolve: async () => {
          throw Object.assign(new Error('no such name'), { code: 'ENOTFOUND' });
        },
      },
    );
    // Locally, a name resolving to loopback reaches the receiver through the checked address.
    const pinned = await postWebhook(
      `${base.replace('127.0.0.1', 'receiver.localhost')}/status/202`,
      '{}',
      {},
      {
        allowLoopback: true,
        resolve: resolveTo('127.0.0.1'),
      },
    );

    // Assess
    expect(rebinding).toMatchObject({
      outcome: 'permanent',
      error: expect.stringMatching(/address refused/),
    });
    expect(metadata).toMatchObject({ outcome: 'permanent', error: expect.stringMatching(/address refused/) });
    expect(mapped).toMatchObject({ outcome: 'permanent' });
    expect(failing).toEqual({ outcome: 'retry', error: 'DNS: ENOTFOUND' });
    expect(pinned).toEqual({ outcome: 'delivered', status: 202 });
  });
});
