import { describe, expect, it } from 'vitest';
import { backoffDelayMs, isRetryable } from '../../cli/client.ts';

const options = (random: number) => ({ baseDelayMs: 100, maxDelayMs: 1_000, random: () => random });

describe('the ingest client: backoff and jitter', () => {
  it('draws below a ceiling that doubles on each retry, up to the maximum', () => {
    const ceilings = [1, 2, 3, 4, 5, 6].map((retry) => backoffDelayMs(retry, options(0.999_999)));
    expect(ceilings).toEqual([99, 199, 399, 799, 999, 999]);
    expect([1, 2, 3, 4, 5].map((retry) => backoffDelayMs(retry, options(0.5)))).toEqual([
      50, 100, 200, 400, 500,
    ]);
    expect(backoffDelayMs(4, options(0))).toBe(0);
  });

  it('waits at least what Retry-After asks, within the maximum', () => {
    expect(backoffDelayMs(1, options(0.5), 700)).toBe(700);
    expect(backoffDelayMs(4, options(0.5), 100)).toBe(400);
    expect(backoffDelayMs(1, options(0.5), 60_000)).toBe(1_000);
  });
});

describe('the ingest client: what is retried', () => {
  it('retries a batch on 429, 5xx, no answer and 409 batch_in_progress', () => {
    for (const status of [429, 500, 502, 503, 504, 0])
      expect(isRetryable(status, undefined, true), `${status}`).toBe(true);
    expect(isRetryable(409, 'batch_in_progress', true)).toBe(true);
  });

  it('never retries a client error, nor another conflict', () => {
    for (const status of [400, 401, 403, 404, 413])
      expect(isRetryable(status, 'invalid_request', true), `${status}`).toBe(false);
    expect(isRetryable(409, 'conflict', true)).toBe(false);
  });

  it('retries a request without batch id only when it was throttled', () => {
    expect(isRetryable(429, undefined, false)).toBe(true);
    for (const status of [500, 503, 0])
      expect(isRetryable(status, undefined, false), `${status}`).toBe(false);
    expect(isRetryable(409, 'batch_in_progress', false)).toBe(false);
  });
});
