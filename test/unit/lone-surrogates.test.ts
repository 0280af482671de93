import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { parseBody } from '#commons/api/request';
import { HttpError } from '#commons/http';
import * as z from '#commons/zod';

const schema = z.strictObject({
  name: z.string(),
  tags: z._default(z.array(z.string()), []),
  labels: z._default(z.record(z.string(), z.string()), {}),
});

function event(body: string): APIGatewayProxyEvent {
  return { headers: { 'content-type': 'application/json' }, body, isBase64Encoded: false } as never;
}

/** The issues of the 400 a body gets, or the body parsed. */
function outcome(body: string) {
  try {
    return { data: parseBody(event(body), schema) };
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    return { status: error.statusCode, paths: error.issues.map((issue) => issue.path) };
  }
}

/**
 * A JSON escape can carry half of a UTF-16 surrogate pair, which no UTF-8 text can hold:
 * DynamoDB, SNS and the pages would keep something else than what was validated. The body is
 * refused with the field named, wherever the lone half sits.
 */
describe('lone surrogates in a JSON body', () => {
  it('refuses a lone half in a value, an array item or a key, naming each', () => {
    const body =
      '{"name": "a\\ud800", "tags": ["ok", "\\udc00b"], "labels": {"k\\udbff": "v", "x": "\\ud83d"}}';

    const result = outcome(body);

    expect(result.status).toBe(400);
    expect(result.paths?.sort()).toEqual(['labels.k\udbff', 'labels.x', 'name', 'tags[1]'].sort());
  });

  it('refuses a lone half sent as such rather than escaped, and a body that is one string', () => {
    expect(outcome('{"name": "a\ud800"}')).toEqual({ status: 400, paths: ['name'] });
    expect(outcome('"\\udfff"')).toEqual({ status: 400, paths: ['(body)'] });
  });

  it('takes whole pairs, escaped or not, and text that only looks like an escape', () => {
    const result = outcome('{"name": "\\ud83d\\ude00 😀", "tags": ["\\\\ud800"]}');

    expect(result).toEqual({ data: { name: '😀 😀', tags: ['\\ud800'], labels: {} } });
  });
});
