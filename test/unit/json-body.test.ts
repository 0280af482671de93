import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseJsonBytes, readBase64Body } from '#commons/api/json-body';
import { parseBody } from '#commons/api/request';
import { MAX_BODY_BYTES } from '#commons/api/request-size';
import { HttpError } from '#commons/http';
import * as z from '#commons/zod';

/** A deterministic generator, so that a failure reproduces. */
function generator(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function batch(count: number, seed = 7) {
  const random = generator(seed);
  return {
    records: Array.from({ length: count }, (_, i) => ({
      features: {
        ...Object.fromEntries(
          Array.from({ length: 10 }, (_, f) => [`n${f}`, (random() - 0.5) * 10 * (f + 1)]),
        ),
        country: ['de', 'fr', 'us'][i % 3],
        missing: null,
      },
      prediction: random() < 0.3 ? 'churn' : 'stay',
      score: random(),
    })),
  };
}

/** What `JSON.parse` answers for a text: its value, or its error's message. */
function parsed(parse: () => unknown) {
  try {
    return { value: parse() };
  } catch (error) {
    return { error: error instanceof SyntaxError ? error.message : error };
  }
}

/** Both parses of the same bytes, and the longest text `JSON.parse` was handed by the first. */
function compare(bytes: Buffer) {
  const parse = vi.spyOn(JSON, 'parse');
  const ours = parsed(() => parseJsonBytes(bytes));
  const longest = Math.max(...parse.mock.calls.map(([text]) => text.length));
  parse.mockRestore();
  return { ours, whole: parsed(() => JSON.parse(bytes.toString('utf8'))), longest };
}

/** V8's largest regular object: a longer string is a large object. */
const LARGE_OBJECT = 128 * 1024;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('parseJsonBytes', () => {
  it('parses a large batch in pieces smaller than a large object, to the value JSON.parse gives', () => {
    const value = batch(1500);
    const texts = [
      JSON.stringify(value),
      // Python's json.dumps separators, and an indented document.
      JSON.stringify(value).replaceAll(',', ', ').replaceAll(':', ': '),
      JSON.stringify(value, null, 2),
      JSON.stringify({ batchId: 'b-1', modelVersion: '1.2.0', ...value }),
      `\r\n\t ${JSON.stringify(value)} \n`,
    ];
    for (const text of texts) {
      expect(text.length).toBeGreaterThan(3 * LARGE_OBJECT);
      const { ours, whole, longest } = compare(Buffer.from(text));
      expect(ours).toEqual(whole);
      expect(longest).toBeLessThan(LARGE_OBJECT);
    }
  });

  it('decodes UTF-8 as the whole text does: characters of several bytes, and invalid bytes', () => {
    const value = batch(1200);
    (value.records[3] as { prediction: string }).prediction = 'Zürich 😀';
    const text = JSON.stringify(value);
    const cut = text.indexOf('Zürich');
    const bytes = Buffer.concat([
      Buffer.from(text.slice(0, cut)),
      Buffer.from([0xff, 0xc3]),
      Buffer.from(text.slice(cut)),
    ]);
    const { ours, whole, longest } = compare(bytes);
    expect(ours).toEqual(whole);
    expect(JSON.stringify(ours)).toContain('\ufffd');
    expect(longest).toBeLessThan(LARGE_OBJECT);
  });

  it('gives the whole text’s value for the shapes it does not split', () => {
    const records = batch(1200).records;
    const big = JSON.stringify(records);
    const texts = [
      // Members after the records, and records that are not the first member.
      JSON.stringify({ records, batchId: 'b-2' }),
      // An earlier `records` member, and another array after an empty one.
      `{"records":[{"a":1}],"records":${big}}`,
      `{"records":[],"other":${big}}`,
      `{"other":${big},"records":[]}`,
      // Text that only looks like the key or a cut: in strings, and behind escaped quotes.
      `{"note":"\\"records\\": [","records":${big}}`,
      `{"a\\"records":${big}}`,
      `{"records":0,"b\\"records":${big}}`,
      `{"records":${big.replaceAll('"stay"', '"},{\\"x\\":[1]}"')}}`,
      // Arrays within the records, and records that are not objects.
      `{"records":${big.replaceAll('"churn"', '[["churn"]]')}}`,
      `{"records":[${'1,'.repeat(100_000)}{"a":1},{"b":2}]}`,
      // A top-level array, and a value nested a level deeper.
      big,
      `{"wrapped":{"records":${big}}}`,
      // `__proto__` keys, kept by JSON.parse as own keys.
      `{"__proto__":{"x":1},"records":${big}}`,
    ];
    for (const text of texts) {
      expect(text.length).toBeGreaterThan(LARGE_OBJECT);
      const { ours, whole } = compare(Buffer.from(text));
      expect(ours).toEqual(whole);
      expect(Object.keys(ours.value as object)).toEqual(Object.keys(whole.value as object));
    }
  });

  it('fails with JSON.parse’s own error wherever the text breaks', () => {
    const text = JSON.stringify(batch(1200));
    const at = (fraction: number) => Math.floor(text.length * fraction);
    const comma = text.indexOf('},{', at(0.5)) + 1;
    const broken = [
      `${text.slice(0, comma)}${text.slice(comma + 1)}`,
      `${text.slice(0, -1)}`,
      `${text}]`,
      `${text.slice(0, at(0.01))},,${text.slice(at(0.01))}`,
      text.replace('},{', '}{'),
      text.replaceAll('},{', '}],[{').replace(']}', ']]}'),
      `${text.slice(0, at(0.9))}"${text.slice(at(0.9))}`,
      text.replace('"stay"', '"st\u0001ay"'),
      text.replace(/"score":([^}]+)}]}$/, '"score":$1]}'),
    ];
    for (const text of broken) {
      const { ours, whole } = compare(Buffer.from(text));
      expect(whole.error).toBeDefined();
      expect(ours).toEqual(whole);
    }
  });

  it('answers as JSON.parse does for texts broken at random', () => {
    const text = JSON.stringify(batch(700));
    const random = generator(11);
    const pick = (n: number) => Math.floor(random() * n);
    const marks = ['{', '}', '[', ']', ',', ':', '"', '\\', ' ', 'x', '0'];
    let failed = 0;
    for (let i = 0; i < 100; i++) {
      let mutated = text;
      for (let edits = 1 + pick(3); edits > 0; edits--) {
        const at = pick(mutated.length);
        const mark = marks[pick(marks.length)] as string;
        const kind = pick(3);
        mutated =
          kind === 0
            ? `${mutated.slice(0, at)}${mutated.slice(at + 1)}`
            : kind === 1
              ? `${mutated.slice(0, at)}${mark}${mutated.slice(at)}`
              : `${mutated.slice(0, at)}${mark}${mutated.slice(at + 1)}`;
      }
      const { ours, whole } = compare(Buffer.from(mutated));
      if (whole.error) failed++;
      expect(ours).toEqual(whole);
    }
    // Most edits break the text; some leave it valid (a space, a digit in a number).
    expect(failed).toBeGreaterThan(30);
    expect(failed).toBeLessThan(100);
  });
});

describe('readBase64Body', () => {
  it('hands the callback the body’s bytes, whatever the size of the bodies before it', () => {
    for (const size of [10, 200_000, 50, 1_000_000, 0, 3]) {
      const bytes = Buffer.from(Array.from({ length: size }, (_, i) => (i * 7) % 256));
      const base64 = bytes.toString('base64');
      const seen = readBase64Body(base64, Buffer.byteLength(base64, 'base64'), (read) => Buffer.from(read));
      expect(seen.equals(bytes)).toBe(true);
    }
  });
  it('decodes long bodies as Buffer.from does, whatever characters their base64 holds', () => {
    for (const size of [49_152, 49_153, 98_305, 300_000]) {
      const bytes = Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + 7) % 256));
      const base64 = bytes.toString('base64');
      const variants = [
        base64,
        base64.replace(/=+$/, ''),
        bytes.toString('base64url'),
        // Characters Node.js skips: whitespace, a stray one, padding before the end.
        ` ${base64}`,
        `${base64.slice(0, 70_000)}\n${base64.slice(70_000)}`,
        `${base64.slice(0, 100)}*${base64.slice(100)}`,
        `${base64.slice(0, 65_536)}=${base64.slice(65_536)}`,
      ];
      for (const variant of variants) {
        const read = readBase64Body(variant, Buffer.byteLength(variant, 'base64'), (bytes) =>
          Buffer.from(bytes),
        );
        expect(read.equals(Buffer.from(variant, 'base64'))).toBe(true);
      }
    }
  });
});

describe('parseBody with a base64 body', () => {
  const schema = z.strictObject({
    name: z.string(),
    tags: z._default(z.array(z.string()), []),
    labels: z._default(z.record(z.string(), z.string()), {}),
  });
  const event = (body: string | Buffer): APIGatewayProxyEvent =>
    ({
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(body).toString('base64'),
      isBase64Encoded: true,
    }) as never;
  const outcome = (body: string | Buffer) => {
    try {
      return { data: parseBody(event(body), schema) };
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      return { status: error.statusCode, code: error.code, issues: error.issues };
    }
  };

  it('refuses lone surrogates written as escapes and __proto__ keys, naming each field', () => {
    const result = outcome(
      '{"name": "a\\ud800", "tags": ["ok", "\\udc00b"], "labels": {"k\\udbff": "v", "__proto__": "x"}}',
    );
    expect(result.status).toBe(400);
    expect(result.issues?.map((issue) => issue.path).sort()).toEqual(
      ['labels.__proto__', 'labels.k\udbff', 'name', 'tags[1]'].sort(),
    );
  });

  it('takes whole pairs and text that only looks like an escape; invalid UTF-8 reads as U+FFFD', () => {
    expect(outcome('{"name": "\\ud83d\\ude00 😀", "tags": ["\\\\ud800"]}')).toEqual({
      data: { name: '😀 😀', tags: ['\\ud800'], labels: {} },
    });
    expect(
      outcome(Buffer.from([...Buffer.from('{"name": "a'), 0xed, 0xa0, 0x80, ...Buffer.from('"}')])),
    ).toEqual({
      data: { name: 'a\ufffd\ufffd\ufffd', tags: [], labels: {} },
    });
  });

  it('answers invalid JSON with the parser’s message, and a body past the limit with 413 before decoding it', () => {
    const broken = outcome('{"name": "a",}');
    expect(broken).toMatchObject({ status: 400, code: 'invalid_json' });
    expect(broken.issues?.[0]?.message).toBe(parsed(() => JSON.parse('{"name": "a",}')).error);

    const decode = vi.spyOn(Buffer.prototype, 'write');
    const tooLarge = outcome(Buffer.alloc(MAX_BODY_BYTES + 3, 0x20));
    expect(tooLarge).toMatchObject({
      status: 413,
      code: 'payload_too_large',
      issues: [{ path: '(body)', message: `${MAX_BODY_BYTES + 3} bytes; send at most ${MAX_BODY_BYTES}` }],
    });
    expect(decode).not.toHaveBeenCalled();
  });
});
