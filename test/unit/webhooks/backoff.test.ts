import { describe, expect, it } from 'vitest';
import { RETRY_WINDOW_SECONDS, retryDelaySeconds } from '../../../functions/commons/webhooks/backoff.ts';

describe('webhook retry schedule', () => {
  it('retries first within ten seconds, then exponentially up to four hours, for 24 hours', () => {
    // Act: every retry of a receiver that keeps failing, each attempt taking no time.
    const delays: number[] = [];
    let elapsed = 0;
    for (let attempt = 1; attempt < 100; attempt++) {
      const delay = retryDelaySeconds(attempt, elapsed);
      if (delay === undefined) break;
      delays.push(delay);
      elapsed += delay;
    }

    // Assess
    expect(delays.slice(0, 7)).toEqual([5, 20, 80, 320, 1280, 5120, 14400]);
    expect(delays.slice(6).every((d) => d === 14400)).toBe(true);
    expect(elapsed).toBeLessThanOrEqual(RETRY_WINDOW_SECONDS);
    expect(elapsed + 14400).toBeGreaterThan(RETRY_WINDOW_SECONDS);
    expect(delays).toHaveLength(11);
  });

  it('gives up when the next attempt would start more than 24 hours after the first', () => {
    expect(retryDelaySeconds(1, 0)).toBe(5);
    expect(retryDelaySeconds(1, RETRY_WINDOW_SECONDS - 5)).toBe(5);
    expect(retryDelaySeconds(1, RETRY_WINDOW_SECONDS - 4)).toBeUndefined();
    expect(retryDelaySeconds(8, RETRY_WINDOW_SECONDS - 3600)).toBeUndefined();
  });
});
