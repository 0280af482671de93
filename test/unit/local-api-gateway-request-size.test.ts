import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import {
  EVENT_BODY_BYTES,
  frontDoorRefusal,
  frontDoorRefusals,
  greaterThanPattern,
  LAMBDA_EVENT_BYTES,
  MAX_BODY_BYTES,
  MAX_UNTYPED_BODY_BYTES,
  passedAsBase64,
} from '../../functions/commons/api/request-size.ts';
import type { RouteDefinition } from '../../lib/routes.ts';
import {
  EVENT_TOO_LARGE_RESULT,
  frontDoorResult,
  lambdaEventBytes,
  lambdaEventRefusal,
  toProxyEvent,
} from '../../local/api-gateway.ts';

const route: RouteDefinition = {
  method: 'POST',
  path: '/v1/models/{modelId}/predictions',
  handler: 'ingest',
  auth: 'apiKey',
};

function request(url: string, headers: string[]): IncomingMessage {
  const message = new IncomingMessage(new Socket());
  message.method = 'POST';
  message.url = url;
  message.httpVersion = '1.1';
  message.rawHeaders = headers;
  for (let i = 0; i < headers.length; i += 2) {
    message.headers[(headers[i] as string).toLowerCase()] = headers[i + 1] as string;
  }
  return message;
}

/** The proxy event of a request with this body, as the deployed integration would build it. */
function eventOf(body: Buffer, headers: string[], url = '/v1/models/m1/predictions') {
  return toProxyEvent(
    request(url, headers),
    body,
    { route, pathParameters: { modelId: 'm1' } },
    {
      principalId: 'model:m1:key:k1',
      modelId: 'm1',
      scopes: 'ingest',
    },
  );
}

/** What the web ACL answers a request with these headers. */
const atFrontDoor = (headers: Record<string, string>) => frontDoorRefusal((name) => headers[name])?.rule;

describe('the body limits', () => {
  it('keep a body of either kind within the part of the event left for it', () => {
    // Base64 takes 4 bytes for 3; escaped text up to 6 bytes for 1 (a control character as \u0001).
    expect(Math.ceil(MAX_BODY_BYTES / 3) * 4).toBe(EVENT_BODY_BYTES);
    expect(MAX_UNTYPED_BODY_BYTES * '\\u0001'.length).toBe(EVENT_BODY_BYTES);
    expect(JSON.stringify('\u0001')).toBe('"\\u0001"');
    expect(LAMBDA_EVENT_BYTES - EVENT_BODY_BYTES).toBeGreaterThan(28 * 10_240);
    expect(MAX_BODY_BYTES).toBe(4_500_000);
    expect(MAX_UNTYPED_BODY_BYTES).toBe(1_000_000);
  });
});

describe('greaterThanPattern', () => {
  it('matches exactly the numbers above the limit, with or without leading zeros', () => {
    for (const limit of [0, 7, 9, 10, 99, 100, 109, 990, 1_000_000, 4_500_000, 4_599_999, 9_999_999]) {
      const pattern = new RegExp(greaterThanPattern(limit));
      const near = Array.from({ length: 41 }, (_, i) => limit - 20 + i).filter((n) => n >= 0);
      const far = [
        0,
        1,
        9,
        10,
        limit * 10,
        limit * 10 + 9,
        Math.floor(limit / 10),
        10 ** String(limit).length,
      ];
      for (const n of [...near, ...far]) {
        expect(pattern.test(String(n)), `${n} against ${limit}`).toBe(n > limit);
        expect(pattern.test(`000${n}`), `000${n} against ${limit}`).toBe(n > limit);
      }
    }
  });

  it('matches no text that is not a number', () => {
    const pattern = new RegExp(greaterThanPattern(MAX_BODY_BYTES));
    for (const text of [
      '',
      ' ',
      '4500001 ',
      ' 4500001',
      '+4500001',
      '4.5e6',
      '0x4500001',
      '45000010a',
      '-9999999',
    ]) {
      expect(pattern.test(text), text).toBe(false);
    }
  });

  it('stays within what AWS WAF accepts in a regular expression (512 characters)', () => {
    expect(greaterThanPattern(MAX_BODY_BYTES).length).toBeLessThan(512);
    expect(greaterThanPattern(Number.MAX_SAFE_INTEGER).length).toBeLessThan(512);
    expect(() => greaterThanPattern(-1)).toThrow(/Not a byte count/);
  });
});

describe('frontDoorRefusal', () => {
  const json = 'application/json';

  it('lets through a body at the limit and refuses one byte more, naming the body', () => {
    expect(atFrontDoor({ 'content-length': String(MAX_BODY_BYTES), 'content-type': json })).toBeUndefined();
    expect(atFrontDoor({ 'content-length': String(MAX_BODY_BYTES + 1), 'content-type': json })).toBe(
      'BodyTooLarge',
    );
    expect(atFrontDoor({ 'content-length': '10485761', 'content-type': json })).toBe('BodyTooLarge');
    expect(frontDoorRefusals.tooLarge).toMatchObject({
      statusCode: 413,
      body: { error: { code: 'payload_too_large', issues: [{ path: '(body)' }] } },
    });
  });

  it('holds a body without a media type, passed as escaped text, to the lower limit', () => {
    for (const type of [undefined, '', 'json', 'application/json/x', 'text plain']) {
      const headers = (length: number) => ({
        'content-length': String(length),
        ...(type === undefined ? {} : { 'content-type': type }),
      });
      expect(passedAsBase64(type)).toBe(false);
      expect(atFrontDoor(headers(MAX_UNTYPED_BODY_BYTES))).toBeUndefined();
      expect(atFrontDoor(headers(MAX_UNTYPED_BODY_BYTES + 1))).toBe('UntypedBodyTooLarge');
      expect(atFrontDoor(headers(MAX_BODY_BYTES + 1))).toBe('BodyTooLarge');
    }
    for (const type of [json, 'application/x-www-form-urlencoded', 'text/csv; charset=utf-8', 'a/b;x']) {
      expect(passedAsBase64(type)).toBe(true);
      expect(
        atFrontDoor({ 'content-length': String(MAX_UNTYPED_BODY_BYTES + 1), 'content-type': type }),
      ).toBe(undefined);
    }
    expect(frontDoorRefusals.untypedTooLarge.body.error.issues).toEqual([
      {
        path: '(body)',
        message: `send at most ${MAX_BODY_BYTES} bytes with a Content-Type such as application/json`,
      },
    ]);
  });

  it('refuses a chunked body, whose size no header tells, with 411 naming the body', () => {
    expect(atFrontDoor({ 'transfer-encoding': 'chunked', 'content-type': json })).toBe('ChunkedBody');
    expect(
      atFrontDoor({ 'transfer-encoding': 'chunked', 'content-length': '10', 'content-type': json }),
    ).toBe('ChunkedBody');
    expect(frontDoorRefusals.chunked).toMatchObject({
      statusCode: 411,
      body: { error: { code: 'length_required', issues: [{ path: '(body)' }] } },
    });
  });

  it('leaves a request without a body, or with a malformed length, to the HTTP layer', () => {
    expect(atFrontDoor({})).toBeUndefined();
    expect(atFrontDoor({ 'content-length': '0' })).toBeUndefined();
    expect(atFrontDoor({ 'content-length': 'lots', 'content-type': json })).toBeUndefined();
  });

  it('answers with the JSON error of the API on the local gateway', () => {
    const result = frontDoorResult(
      request('/v1/models/m1/predictions', [
        'Content-Type',
        json,
        'Content-Length',
        String(MAX_BODY_BYTES + 1),
      ]),
    );
    expect(result).toEqual({
      statusCode: 413,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(frontDoorRefusals.tooLarge.body),
    });
  });
});

describe("Lambda's limit on the event", () => {
  it('measures an event as Lambda does, its JSON in UTF-8, for text and base64 bodies', () => {
    const text = eventOf(Buffer.from('{"a":"\u0001\\"ü😀\u2028"}'), []);
    const base64 = eventOf(Buffer.from('{"a":"\u0001\\"ü😀"}'), ['Content-Type', 'application/json']);
    const empty = eventOf(Buffer.alloc(0), []);
    expect(text.isBase64Encoded).toBe(false);
    expect(base64.isBase64Encoded).toBe(true);
    for (const event of [text, base64, empty]) {
      expect(lambdaEventBytes(event)).toBe(Buffer.byteLength(JSON.stringify(event)));
    }
  });

  it('is kept by the body limits, whatever the body holds and with headers at their largest', () => {
    // API Gateway takes at most 10,240 bytes of request line and headers: here all of them are
    // quotes, each escaped to 2 bytes and present twice in the event, with as much query again.
    const quotes = '"'.repeat(1000);
    const headers = Array.from({ length: 10 }, (_, i) => [`X-Filler-${i}`, quotes]).flat();
    const url = `/v1/models/m1/predictions?q=${'%01'.repeat(3000)}`;
    const worstText = Buffer.alloc(MAX_UNTYPED_BODY_BYTES, 0x01);
    const anyBytes = Buffer.alloc(MAX_BODY_BYTES, 0xff);

    const untyped = eventOf(worstText, headers, url);
    const typed = eventOf(anyBytes, ['Content-Type', 'application/json', ...headers], url);

    expect(untyped.isBase64Encoded).toBe(false);
    expect(typed.isBase64Encoded).toBe(true);
    for (const event of [untyped, typed]) {
      expect(lambdaEventBytes(event)).toBeGreaterThan(EVENT_BODY_BYTES);
      expect(lambdaEventBytes(event)).toBeLessThanOrEqual(LAMBDA_EVENT_BYTES);
      expect(lambdaEventRefusal(event)).toBeUndefined();
    }
  });

  it('makes API Gateway answer its own 413, not the function, for bodies the API once accepted', () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      // A JSON body under the former 6 MiB limit arrives as 7.9 MB of base64.
      const json = Buffer.from(`{"x":"${'a'.repeat(5_900_000)}"}`);
      // 1.2 MB of control characters, sent without a media type, escape to 7.2 MB of text.
      const controls = Buffer.alloc(1_200_000, 0x01);
      const refused = [
        eventOf(json, ['Content-Type', 'application/json']),
        eventOf(controls, []),
        eventOf(Buffer.alloc(6_300_000, 0x61), []),
      ];
      for (const event of refused) {
        expect(lambdaEventBytes(event)).toBeGreaterThan(LAMBDA_EVENT_BYTES);
        expect(lambdaEventRefusal(event)).toEqual({
          statusCode: 413,
          headers: { 'content-type': 'application/json', 'x-amzn-ErrorType': 'BadRequestException' },
          body: '{"message": "Request Too Long"}',
        });
      }
      expect(EVENT_TOO_LARGE_RESULT.body).not.toContain('(body)');
      expect(errors).toHaveBeenCalledTimes(3);
    } finally {
      errors.mockRestore();
    }
  });
});
