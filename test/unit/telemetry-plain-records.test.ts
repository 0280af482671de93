import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { parseBody } from '#commons/api/request';
import { HttpError } from '#commons/http';
import { fingerprint } from '#commons/telemetry/batches';
import { plainPredictionBatch } from '#commons/telemetry/plain-records';
import { predictionBatchSchema } from '#commons/telemetry/records';
import * as z from '#commons/zod';

const valid = {
  batchId: 'batch-1',
  modelVersion: '1.4.0-rc.1+build.5',
  records: [
    {
      predictionId: 'p-1',
      timestamp: '2026-01-01T10:00:00.123+02:00',
      features: { age: 41.5, income: null, country: 'de', empty: '', member: true, zero: -0 },
      prediction: 'churn',
      score: 0.87,
    },
    { timestamp: 1767225600000, features: {}, prediction: 3.25 },
    { features: { long: 'x'.repeat(256) }, prediction: false, score: 0 },
    { features: { é: 'ü' }, prediction: 'y'.repeat(256), predictionId: '~!x' },
  ],
};

/** What the schema makes of `data`: its output, or undefined when it refuses it. */
function bySchema(data: unknown) {
  const result = z.safeParse(predictionBatchSchema, data);
  return result.success ? result.data : undefined;
}

type Value = Record<string, unknown>;

/** A copy of `valid` changed by `change`, given the batch, its first record and that record's features. */
function changed(change: (parts: { batch: Value; record: Value; features: Value }) => void): unknown {
  const batch = structuredClone(valid) as unknown as Value & { records: (Value & { features: Value })[] };
  const record = batch.records[0] as Value & { features: Value };
  change({ batch, record, features: record.features });
  return batch;
}

describe('plainPredictionBatch', () => {
  it('answers what the schema answers for a batch it accepts, with the same fingerprint', () => {
    for (const data of [
      valid,
      { records: valid.records },
      { records: [{ features: { a: 1 }, prediction: true }] },
      JSON.parse(JSON.stringify(valid)),
    ]) {
      const plain = plainPredictionBatch(data);
      expect(plain).toBeDefined();
      expect(plain).toEqual(bySchema(data));
      // The fingerprint binds a batch id to its content: a retry must find the same one.
      expect(fingerprint(plain)).toBe(fingerprint(bySchema(data)));
    }
  });

  it('leaves to the schema every batch it does not accept as it is', () => {
    const refused = [
      null,
      [],
      'records',
      { records: [] },
      { records: {} },
      changed(({ batch: b }) => {
        b.extra = 1;
      }),
      changed(({ batch: b }) => {
        b.batchId = '';
      }),
      changed(({ batch: b }) => {
        b.batchId = 'has space';
      }),
      changed(({ batch: b }) => {
        b.batchId = 'x'.repeat(129);
      }),
      changed(({ batch: b }) => {
        b.batchId = null;
      }),
      changed(({ batch: b }) => {
        b.modelVersion = '1.0';
      }),
      changed(({ batch: b }) => {
        (b.records as unknown[]).push(null);
      }),
      changed(({ batch: b }) => {
        (b.records as unknown[]).push([]);
      }),
      changed(({ record: r }) => {
        r.extra = true;
      }),
      changed(({ record: r }) => {
        delete r.prediction;
      }),
      changed(({ record: r }) => {
        delete r.features;
      }),
      changed(({ record: r }) => {
        r.features = [1];
      }),
      changed(({ record: r }) => {
        r.features = null;
      }),
      changed(({ features: f }) => {
        f.nested = { a: 1 };
      }),
      changed(({ features: f }) => {
        f.list = [1];
      }),
      changed(({ features: f }) => {
        f.long = 'x'.repeat(257);
      }),
      changed(({ features: f }) => {
        f.infinite = Number.POSITIVE_INFINITY;
      }),
      changed(({ features: f }) => {
        f.nan = Number.NaN;
      }),
      changed(({ record: r }) => {
        r.prediction = '';
      }),
      changed(({ record: r }) => {
        r.prediction = null;
      }),
      changed(({ record: r }) => {
        r.prediction = 'y'.repeat(257);
      }),
      changed(({ record: r }) => {
        r.prediction = { label: 'a' };
      }),
      changed(({ record: r }) => {
        r.prediction = Number.NEGATIVE_INFINITY;
      }),
      changed(({ record: r }) => {
        r.score = '0.5';
      }),
      changed(({ record: r }) => {
        r.score = null;
      }),
      changed(({ record: r }) => {
        r.predictionId = '';
      }),
      changed(({ record: r }) => {
        r.predictionId = 7;
      }),
      changed(({ record: r }) => {
        r.predictionId = 'é';
      }),
      changed(({ record: r }) => {
        r.timestamp = -1;
      }),
      changed(({ record: r }) => {
        r.timestamp = 1.5;
      }),
      changed(({ record: r }) => {
        r.timestamp = 2 ** 53;
      }),
      changed(({ record: r }) => {
        r.timestamp = '2026-01-01T10:00:00';
      }),
      changed(({ record: r }) => {
        r.timestamp = 'yesterday';
      }),
    ];
    for (const data of refused) {
      expect(bySchema(data), JSON.stringify(data)?.slice(0, 200)).toBeUndefined();
      expect(plainPredictionBatch(data)).toBeUndefined();
    }
  });

  it('leaves an own __proto__ key (which the schema would drop) to the schema', () => {
    const data = JSON.parse('{"records":[{"features":{"__proto__":1},"prediction":"a"}]}');
    expect(plainPredictionBatch(data)).toBeUndefined();
  });

  it('accepts what the schema accepts, and answers the same, on random near-valid batches', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
    const values: unknown[] = [
      1,
      -2.5,
      0,
      'a',
      '',
      'x'.repeat(256),
      'x'.repeat(257),
      true,
      null,
      [],
      {},
      Number.POSITIVE_INFINITY,
      '2026-01-01T00:00:00Z',
      1767225600000,
      -1,
      'id-1',
      '1.2.3',
    ];
    const keys = ['features', 'prediction', 'score', 'predictionId', 'timestamp', 'other'];
    let accepted = 0;
    for (let n = 0; n < 3000; n++) {
      const record: Record<string, unknown> = {
        features: { a: pick(values), b: pick(values) },
        prediction: 'p',
      };
      for (let k = 0; k < 2; k++) record[pick(keys)] = random() < 0.3 ? { c: pick(values) } : pick(values);
      if (random() < 0.5) delete record[pick(keys)];
      const data: Record<string, unknown> = { records: [record] };
      if (random() < 0.3) data.batchId = pick(values);
      if (random() < 0.3) data.modelVersion = pick(values);
      const plain = plainPredictionBatch(data);
      expect(plain).toEqual(bySchema(data));
      if (plain !== undefined) accepted++;
    }
    // The random batches include valid ones, so both outcomes were compared.
    expect(accepted).toBeGreaterThan(50);
  });
});

describe('parseBody with a plain check', () => {
  const event = (body: string) =>
    ({
      headers: { 'content-type': 'application/json' },
      body,
      isBase64Encoded: false,
    }) as unknown as APIGatewayProxyEvent;
  const thrownBy = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return error;
    }
    throw new Error('nothing thrown');
  };

  it('answers the batch, and the schema names the faults of one the check leaves to it', () => {
    const body = JSON.stringify(valid);
    expect(parseBody(event(body), predictionBatchSchema, plainPredictionBatch)).toEqual(
      bySchema(JSON.parse(body)),
    );
    const bad = JSON.stringify({ records: [{ features: { a: 'x'.repeat(257) }, prediction: '' }] });
    expect(thrownBy(() => parseBody(event(bad), predictionBatchSchema, plainPredictionBatch))).toMatchObject({
      statusCode: 400,
      issues: [
        { path: 'records[0].features.a', message: 'at most 256 characters (a category or class label)' },
        { path: 'records[0].prediction', message: 'Too small: expected string to have >=1 characters' },
      ],
    });
  });

  it('refuses a __proto__ key however the JSON text writes it', () => {
    for (const key of ['__proto__', '\\u005f_proto__', '__pr\\u006fto__']) {
      const body = `{"records":[{"features":{"${key}":1},"prediction":"a"}]}`;
      const error = thrownBy(() => parseBody(event(body), predictionBatchSchema, plainPredictionBatch));
      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({ statusCode: 400, issues: [{ path: 'records[0].features.__proto__' }] });
    }
    // An escape elsewhere in the text leaves a valid batch valid.
    const escaped = '{"records":[{"features":{"city":"Z\\u00fcrich"},"prediction":"a"}]}';
    expect(parseBody(event(escaped), predictionBatchSchema, plainPredictionBatch)).toEqual({
      records: [{ features: { city: 'Zürich' }, prediction: 'a' }],
    });
  });
});
