import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  frontDoorRefusals,
  MAX_BODY_BYTES,
  MAX_UNTYPED_BODY_BYTES,
} from '../../functions/commons/api/request-size.ts';
import { type RawResponse, rawRequest, tableSnapshots } from '../support/hostile.ts';
import { ADMIN_KEY, Harness } from './workflow/harness.ts';

/**
 * The body limit on the local runtime, whose gateway applies the web ACL's size rules and
 * Lambda's limit on the event as a deployment does: a body up to the limit reaches its function
 * whatever it holds, and every larger or chunked one is refused with the API's JSON error naming
 * the body, writing nothing. Never API Gateway's own 413 ("Request Too Long"), never a 5xx.
 */

/** One request sent with chunked transfer encoding: no Content-Length, the body in pieces. */
function chunkedRequest(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
  pieces: string[],
): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: hostname, port, method: 'POST', path, agent: false, headers },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const contentType = String(incoming.headers['content-type'] ?? '');
          const json = contentType.startsWith('application/json') ? JSON.parse(text) : undefined;
          resolve({ status: incoming.statusCode ?? 0, contentType, text, json });
        });
      },
    );
    outgoing.on('error', reject);
    for (const piece of pieces) outgoing.write(piece);
    outgoing.end();
  });
}

/** A JSON text of exactly `bytes` bytes: the value, then spaces (whitespace JSON allows). */
function paddedJson(value: unknown, bytes: number): string {
  const text = JSON.stringify(value);
  expect(Buffer.byteLength(text)).toBeLessThanOrEqual(bytes);
  return text + ' '.repeat(bytes - Buffer.byteLength(text));
}

describe('request size on every route', () => {
  let h: Harness;
  let tables: ReturnType<typeof tableSnapshots>;
  let ingestKey: string;
  const predictions = '/v1/models/sized/predictions';
  // A form route of the approval pages: the size rules come before any link is checked.
  const approvalForm = `/approvals/apr_${'0'.repeat(32)}?sig=${'A'.repeat(43)}`;
  const json = { 'content-type': 'application/json' };
  const formType = { 'content-type': 'application/x-www-form-urlencoded' };

  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    h = await Harness.start({ schedulerTickSeconds: 0 });
    tables = tableSnapshots(h.runtime.dynamoEndpoint);
    await h.registerModel('sized');
    const baseline = await h.call('PUT', '/v1/models/sized/baseline', {
      body: {
        records: Array.from({ length: 50 }, (_, i) => ({
          features: { age: 20 + i, plan: i % 2 ? 'basic' : 'premium' },
          prediction: i % 3 ? 'stay' : 'churn',
        })),
      },
    });
    if (baseline.status !== 201) throw new Error(`baseline: ${baseline.status} ${baseline.text}`);
    const key = await h.call('POST', '/v1/models/sized/keys', { body: { scopes: ['ingest'] } });
    ingestKey = key.body.key;
  }, 120_000);
  afterAll(async () => {
    tables?.close();
    await h?.close();
    vi.restoreAllMocks();
  });

  /** Sends a request and checks it was refused at the front door as `refusal`, writing nothing. */
  async function refusedAtFrontDoor(
    refusal: (typeof frontDoorRefusals)[keyof typeof frontDoorRefusals],
    send: () => Promise<RawResponse>,
  ): Promise<void> {
    const before = await tables.snapshot();
    const answer = await send();
    expect(answer.status).toBe(refusal.statusCode);
    expect(answer.contentType).toBe('application/json');
    expect(answer.json).toEqual(refusal.body);
    expect(answer.json.error.issues[0].path).toBe('(body)');
    expect(await tables.snapshot()).toBe(before);
  }

  const post = (path: string, headers: Record<string, string>, body: string | Buffer) =>
    rawRequest(h.url, 'POST', path, { headers: { 'x-api-key': ingestKey, ...headers }, body });

  it('accepts a batch of exactly the body limit, and refuses one byte more with 413 naming the body', async () => {
    const records = Array.from({ length: 1000 }, (_, i) => ({
      predictionId: `p${i}`,
      features: { age: i % 90, plan: `${'x'.repeat(250)}${String(i).padStart(6, '0')}` },
      prediction: 'stay',
    }));
    const atLimit = paddedJson({ batchId: 'at-limit', records }, MAX_BODY_BYTES);
    const accepted = await post(predictions, json, atLimit);
    expect(accepted.status).toBe(202);
    expect(accepted.json).toMatchObject({ accepted: 1000 });

    const over = paddedJson({ batchId: 'over-limit', records }, MAX_BODY_BYTES + 1);
    await refusedAtFrontDoor(frontDoorRefusals.tooLarge, () => post(predictions, json, over));
  });

  it('refuses with 413 naming the body what a deployment without the size rules would have refused with its own 413', async () => {
    // Under the former 6 MiB limit, but 7.9 MB once in the event as base64.
    const formerlyAccepted = paddedJson({ records: [] }, 5_900_000);
    await refusedAtFrontDoor(frontDoorRefusals.tooLarge, () => post(predictions, json, formerlyAccepted));
    // Past API Gateway's own 10 MB.
    const huge = Buffer.alloc(10 * 1024 * 1024 + 1, 0x20);
    await refusedAtFrontDoor(frontDoorRefusals.tooLarge, () => post(predictions, json, huge));
  });

  it('lets the worst-case body without a media type reach the function, and refuses one byte more', async () => {
    // Every byte a control character, each 6 bytes once escaped in the event: the function runs
    // and names the missing media type.
    const before = await tables.snapshot();
    const worst = Buffer.alloc(MAX_UNTYPED_BODY_BYTES, 0x01);
    const reached = await post(predictions, {}, worst);
    expect(reached.status).toBe(415);
    expect(reached.json.error.issues).toEqual([
      { path: 'content-type', message: 'expected application/json, got nothing' },
    ]);
    expect(await tables.snapshot()).toBe(before);

    await refusedAtFrontDoor(frontDoorRefusals.untypedTooLarge, () =>
      post(predictions, {}, Buffer.alloc(MAX_UNTYPED_BODY_BYTES + 1, 0x01)),
    );
    await refusedAtFrontDoor(frontDoorRefusals.untypedTooLarge, () =>
      post(predictions, { 'content-type': 'json' }, Buffer.alloc(MAX_UNTYPED_BODY_BYTES + 1, 0x22)),
    );
  });

  it('refuses a chunked body with 411 naming the body, however small', async () => {
    const batch = JSON.stringify({
      batchId: 'chunked',
      records: [{ features: { age: 30, plan: 'basic' }, prediction: 'stay' }],
    });
    await refusedAtFrontDoor(frontDoorRefusals.chunked, () =>
      chunkedRequest(
        h.url,
        predictions,
        { ...json, 'x-api-key': ingestKey, 'transfer-encoding': 'chunked' },
        [batch.slice(0, 10), batch.slice(10)],
      ),
    );
  });

  it('reads a body that arrives as base64 where a handler looks at it itself: blank is no body', async () => {
    const blank = await rawRequest(h.url, 'POST', '/v1/models/sized/keys', {
      headers: { ...json, 'x-api-key': ADMIN_KEY },
      body: '  \n ',
    });
    expect(blank.status).toBe(201);
    expect(blank.json.scopes).toEqual(['ingest']);
    const scoped = await rawRequest(h.url, 'POST', '/v1/models/sized/keys', {
      headers: { ...json, 'x-api-key': ADMIN_KEY },
      body: JSON.stringify({ scopes: ['candidate'] }),
    });
    expect(scoped.status).toBe(201);
    expect(scoped.json.scopes).toEqual(['candidate']);
  });

  it('holds the approval pages to the same limit: a form up to it reaches the page, one past it or chunked does not', async () => {
    const before = await tables.snapshot();
    const fields = `decision=retrain&comment=${'x'.repeat(MAX_BODY_BYTES - 'decision=retrain&comment='.length)}`;
    expect(Buffer.byteLength(fields)).toBe(MAX_BODY_BYTES);
    const reached = await rawRequest(h.url, 'POST', approvalForm, { headers: formType, body: fields });
    // The page answers (a forged link, or a form past its own limit), as a page.
    expect([403, 404, 413]).toContain(reached.status);
    expect(reached.contentType).toMatch(/^text\/html/);
    expect(await tables.snapshot()).toBe(before);

    await refusedAtFrontDoor(frontDoorRefusals.tooLarge, () =>
      rawRequest(h.url, 'POST', approvalForm, { headers: formType, body: `${fields}x` }),
    );
    await refusedAtFrontDoor(frontDoorRefusals.untypedTooLarge, () =>
      rawRequest(h.url, 'POST', approvalForm, { body: Buffer.alloc(MAX_UNTYPED_BODY_BYTES + 1, 0x01) }),
    );
    await refusedAtFrontDoor(frontDoorRefusals.chunked, () =>
      chunkedRequest(h.url, approvalForm, { ...formType, 'transfer-encoding': 'chunked' }, [
        'decision=',
        'retrain',
      ]),
    );
  });
});
