import { describe, expect, it } from 'vitest';
import { lapseCutoff, requestLapsed } from '../../../functions/commons/approvals/lapse.ts';

describe('requestLapsed', () => {
  const requestedAt = '2026-01-01T00:00:00.000Z';
  const at = (ms: number) => Date.parse(requestedAt) + ms;

  it('counts a request as lapsed from 30 seconds before it expires', () => {
    const task = { requestedAt, expiresAt: new Date(at(3_600_000)).toISOString() };
    expect(requestLapsed(task, at(3_569_999))).toBe(false);
    expect(requestLapsed(task, at(3_570_000))).toBe(true);
    expect(requestLapsed(task, at(3_700_000))).toBe(true);
  });

  it('keeps a tenth of a shorter timeout as the margin', () => {
    const task = { requestedAt, expiresAt: new Date(at(100_000)).toISOString() };
    expect(requestLapsed(task, at(89_999))).toBe(false);
    expect(requestLapsed(task, at(90_000))).toBe(true);
  });

  it('gives the cutoff a conditional write compares the stored expiry with', () => {
    const task = { requestedAt, expiresAt: new Date(at(3_600_000)).toISOString() };
    expect(lapseCutoff(task, at(3_569_999))).toBe(new Date(at(3_599_999)).toISOString());
    expect(task.expiresAt > lapseCutoff(task, at(3_569_999))).toBe(true);
    expect(task.expiresAt > lapseCutoff(task, at(3_570_000))).toBe(false);
  });
});
