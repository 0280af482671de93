import { createServer, IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import type { RouteDefinition } from '../../lib/routes.ts';
import {
  Base64Body,
  lambdaContext,
  MAX_LAMBDA_RESPONSE_BYTES,
  matchRoute,
  PayloadTooLargeError,
  readBodyBase64,
  readBodyText,
  sendLambdaResult,
  toProxyEvent,
} from '../../local/api-gateway.ts';

const routes: RouteDefinition[] = [
  { method: 'GET', path: '/v1/models', handler: 'health', auth: 'apiKey' },
  { method: 'GET', path: '/v1/models/{modelId}', handler: 'health', auth: 'apiKey' },
  { method: 'PUT', path: '/v1/models/{modelId}', handler: 'health', auth: 'apiKey' },
  { method: 'GET', path: '/v1/models/special', handler: 'health', auth: 'none' },
];

function request(method: string, url: string, headers: string[]): IncomingMessage {
  const message = new IncomingMessage(new Socket());
  message.method = method;
  message.url = url;
  message.httpVersion = '1.1';
  message.rawHeaders = headers;
  for (let i = 0; i < headers.length; i += 2) {
    message.headers[(headers[i] as string).toLowerCase()] = headers[i + 1] as string;
  }
  return message;
}

describe('matchRoute', () => {
  it('binds path parameters, decoded', () => {
    const match = matchRoute(routes, 'PUT', '/v1/models/churn%20v2');
    expect(match).toEqual({ route: routes[2], pathParameters: { modelId: 'churn v2' } });
  });

  it('keeps a segment that does not decode as sent, for the handler to refuse', () => {
    for (const segment of ['%zz', '%E0%A4%A', '%ED%A0%80', '%']) {
      expect(matchRoute(routes, 'GET', `/v1/models/${segment}`)).toEqual({
        route: routes[1],
        pathParameters: { modelId: segment },
      });
    }
  });

  it('prefers a literal segment over a parameter, as API Gateway does', () => {
    const match = matchRoute(routes, 'GET', '/v1/models/special');
    expect('route' in match && match.route.path).toBe('/v1/models/special');
  });

  it('tells a wrong method on a known path from an unknown path', () => {
    expect(matchRoute(routes, 'DELETE', '/v1/models/x')).toEqual({ methodNotAllowed: true });
    expect(matchRoute(routes, 'GET', '/v1/nothing/here')).toEqual({ methodNotAllowed: false });
    expect(matchRoute(routes, 'GET', '/v1/models/x/extra')).toEqual({ methodNotAllowed: false });
  });
});

describe('toProxyEvent', () => {
  it('builds the REST v1 proxy event of the deployed integration', () => {
    const route = routes[1] as RouteDefinition;
    const req = request('GET', '/v1/models/m1?from=a&from=b&to=c', [
      'X-Api-Key',
      'k1',
      'Accept',
      'text/html',
      'Accept',
      'application/json',
      'User-Agent',
      'probe/1',
    ]);

    const event = toProxyEvent(
      req,
      Buffer.from('{"a":1}'),
      { route, pathParameters: { modelId: 'm1' } },
      {
        principalId: 'admin',
      },
    );

    expect(event).toMatchObject({
      resource: '/v1/models/{modelId}',
      path: '/v1/models/m1',
      httpMethod: 'GET',
      headers: { 'X-Api-Key': 'k1', Accept: 'application/json', 'User-Agent': 'probe/1' },
      multiValueHeaders: { Accept: ['text/html', 'application/json'] },
      queryStringParameters: { from: 'b', to: 'c' },
      multiValueQueryStringParameters: { from: ['a', 'b'], to: ['c'] },
      pathParameters: { modelId: 'm1' },
      body: '{"a":1}',
      isBase64Encoded: false,
      requestContext: {
        resourcePath: '/v1/models/{modelId}',
        httpMethod: 'GET',
        authorizer: { principalId: 'admin' },
        identity: { userAgent: 'probe/1' },
      },
    });
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('passes a body with a media type as base64, as an API with every media type binary does, and leaves an empty one null', () => {
    const route = routes[0] as RouteDefinition;
    const bytes = Buffer.from([0x61, 0x2c, 0xff, 0x0a, 0xc3, 0xa9]);
    const csv = toProxyEvent(request('POST', '/v1/models', ['Content-Type', 'text/csv']), bytes, {
      route,
      pathParameters: {},
    });
    expect(csv.isBase64Encoded).toBe(true);
    expect(Buffer.from(csv.body as string, 'base64')).toEqual(bytes);
    const json = toProxyEvent(
      request('POST', '/v1/models', ['Content-Type', 'application/json; charset=utf-8']),
      '{"city":"Zürich"}',
      { route, pathParameters: {} },
    );
    expect(json.isBase64Encoded).toBe(true);
    expect(Buffer.from(json.body as string, 'base64').toString('utf8')).toBe('{"city":"Zürich"}');

    // Without a media type (none, or not a type/subtype), the body is text.
    for (const headers of [[], ['Content-Type', 'json']]) {
      const text = toProxyEvent(request('POST', '/v1/models', headers), Buffer.from('a,b\n1,2'), {
        route,
        pathParameters: {},
      });
      expect(text.isBase64Encoded).toBe(false);
      expect(text.body).toBe('a,b\n1,2');
    }

    const empty = toProxyEvent(request('GET', '/v1/models', []), Buffer.alloc(0), {
      route,
      pathParameters: {},
    });
    expect(empty.body).toBeNull();
    expect(empty.queryStringParameters).toBeNull();
    expect(empty.pathParameters).toBeNull();
  });
});

describe('readBodyText', () => {
  const body = (chunks: Buffer[]) => Readable.from(chunks) as unknown as IncomingMessage;

  it('decodes the body as the text of its bytes, whatever chunks they arrive in', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"city":"Zürich","emoji":"😀","bad":"'),
      Buffer.from([0xff, 0xc3]),
      Buffer.from('","end":"é'),
    ]);
    // Every split point, so that each multi-byte character (and the invalid bytes) straddles one.
    for (let cut = 0; cut <= bytes.length; cut++) {
      const text = await readBodyText(body([bytes.subarray(0, cut), bytes.subarray(cut)]));
      expect(text).toBe(bytes.toString('utf8'));
    }
    const truncated = Buffer.from('é').subarray(0, 1);
    expect(await readBodyText(body([Buffer.from('a'), truncated]))).toBe(
      Buffer.concat([Buffer.from('a'), truncated]).toString('utf8'),
    );
    expect(await readBodyText(body([]))).toBe('');
  });

  it('refuses a body past the limit, counted in bytes', async () => {
    const twoBytes = Buffer.from('é');
    await expect(readBodyText(body([twoBytes, twoBytes]), 4)).resolves.toBe('éé');
    await expect(readBodyText(body([twoBytes, twoBytes, Buffer.from('a')]), 4)).rejects.toBeInstanceOf(
      PayloadTooLargeError,
    );
  });

  it('gives the proxy event the text, and null for an empty body', async () => {
    const route = routes[0] as RouteDefinition;
    const text = await readBodyText(body([Buffer.from('{"a":'), Buffer.from('"ü"}')]));
    const event = toProxyEvent(request('POST', '/v1/models', []), text, { route, pathParameters: {} });
    expect(event.body).toBe('{"a":"ü"}');
    expect(event.isBase64Encoded).toBe(false);
    const empty = toProxyEvent(request('POST', '/v1/models', []), '', { route, pathParameters: {} });
    expect(empty.body).toBeNull();
  });
});

describe('readBodyBase64', () => {
  const body = (chunks: Buffer[]) => Readable.from(chunks) as unknown as IncomingMessage;

  it('encodes the body as the base64 of its bytes, whatever chunks they arrive in', async () => {
    const bytes = Buffer.from(Array.from({ length: 40 }, (_, i) => (i * 37) % 256));
    for (let cut = 0; cut <= bytes.length; cut++) {
      for (const second of [1, 2, 3, 4, 7]) {
        const chunks = [
          bytes.subarray(0, cut),
          bytes.subarray(cut, cut + second),
          bytes.subarray(cut + second),
        ];
        const read = await readBodyBase64(body(chunks));
        expect(read.base64).toBe(bytes.toString('base64'));
        expect(read.length).toBe(bytes.length);
      }
    }
    const oneByteChunks = [...bytes].map((byte) => Buffer.from([byte]));
    expect((await readBodyBase64(body(oneByteChunks))).base64).toBe(bytes.toString('base64'));
    expect(await readBodyBase64(body([]))).toEqual(new Base64Body('', 0));
  });

  it('refuses a body past the limit, counted in bytes', async () => {
    const three = Buffer.from('abc');
    await expect(readBodyBase64(body([three, Buffer.from('d')]), 4)).resolves.toEqual(
      new Base64Body('YWJjZA==', 4),
    );
    await expect(readBodyBase64(body([three, Buffer.from('de')]), 4)).rejects.toBeInstanceOf(
      PayloadTooLargeError,
    );
  });

  it('gives the proxy event the base64 as it is, or the text when the request has no media type', async () => {
    const route = routes[0] as RouteDefinition;
    const read = await readBodyBase64(body([Buffer.from('{"a":'), Buffer.from('"ü"}')]));
    const typed = toProxyEvent(request('POST', '/v1/models', ['Content-Type', 'application/json']), read, {
      route,
      pathParameters: {},
    });
    expect(typed).toMatchObject({ body: read.base64, isBase64Encoded: true });
    const untyped = toProxyEvent(request('POST', '/v1/models', []), read, { route, pathParameters: {} });
    expect(untyped).toMatchObject({ body: '{"a":"ü"}', isBase64Encoded: false });
    const empty = toProxyEvent(
      request('POST', '/v1/models', ['Content-Type', 'application/json']),
      new Base64Body('', 0),
      {
        route,
        pathParameters: {},
      },
    );
    expect(empty).toMatchObject({ body: null, isBase64Encoded: false });
  });
});

describe('lambdaContext', () => {
  it('counts the remaining time down from the timeout', () => {
    const context = lambdaContext('vigil-health', 1000);
    expect(context.functionName).toBe('vigil-health');
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(1000);
  });
});

describe('sendLambdaResult', () => {
  /** What a client receives when the function returns `result`. */
  async function served(result: APIGatewayProxyResult) {
    const server = createServer((_request, response) => sendLambdaResult(response, result));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/`);
      return { status: response.status, body: await response.text() };
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  /** A result whose JSON, as Lambda measures it, is `bytes` long. */
  const EMPTY_RESULT_BYTES = JSON.stringify({ statusCode: 200, body: '' }).length;
  function resultOf(bytes: number): APIGatewayProxyResult {
    const result = { statusCode: 200, body: 'x'.repeat(bytes - EMPTY_RESULT_BYTES) };
    expect(Buffer.byteLength(JSON.stringify(result))).toBe(bytes);
    return result;
  }

  it("passes a response at Lambda's 6 MB limit and refuses one byte more, as API Gateway answers it", async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const atLimit = await served(resultOf(MAX_LAMBDA_RESPONSE_BYTES));
      expect(atLimit.status).toBe(200);
      expect(atLimit.body.length).toBe(MAX_LAMBDA_RESPONSE_BYTES - EMPTY_RESULT_BYTES);
      const over = await served(resultOf(MAX_LAMBDA_RESPONSE_BYTES + 1));
      expect(over).toEqual({ status: 502, body: '{"message":"Internal server error"}' });
      expect(errors).toHaveBeenCalledTimes(1);
    } finally {
      errors.mockRestore();
    }
  });
});
