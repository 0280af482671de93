import { describe, expect, it } from 'vitest';
import {
  addLimbs,
  exactQuotient,
  exactSqrtQuotient,
  exactSquare,
  exactValue,
  readLimbs,
} from '#commons/telemetry/exact';

/** Sums values as limbs batch by batch, adding the batches' counters key by key, as readers do. */
function sumInBatches(values: readonly number[], batch: number, square = false): Record<string, number> {
  const total: Record<string, number> = {};
  for (let start = 0; start < values.length; start += batch) {
    const counters: Record<string, number> = {};
    let sum = 0n;
    for (const v of values.slice(start, start + batch)) {
      const x = exactValue(v);
      sum += square ? exactSquare(x) : x;
    }
    addLimbs(counters, 'x', sum);
    for (const [key, limb] of Object.entries(counters)) total[key] = (total[key] ?? 0) + limb;
  }
  return total;
}

describe('exact sums', () => {
  it('keep every finite double exactly, from the smallest subnormal to the largest', () => {
    for (const x of [0, -0, 1, -1.5, 0.1, 1e-300, 5e-324, -5e-324, 1.2e8, 1e15, 1e200, -Number.MAX_VALUE]) {
      const counters: Record<string, number> = {};
      addLimbs(counters, 'x', exactValue(x));
      for (const limb of Object.values(counters)) expect(Math.abs(limb)).toBeLessThan(2 ** 20);
      expect(exactQuotient(readLimbs(counters, 'x'))).toBe(x === 0 ? 0 : x);
    }
    expect(() => exactValue(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('sum what doubles cannot: large and small values, and squares past 2^53 and past the double range', () => {
    // 1e16 + 1 + ... is not a double; the exact sum is 3e16 + 3 and its mean 1e16 + 1.
    const values = [1e16, 1, 1e16, 1, 1e16, 1];
    const sum = readLimbs(sumInBatches(values, 2), 'x');
    expect(sum).toBe(exactValue(3e16) + exactValue(3));
    expect(exactQuotient(sum, 3)).toBe(1e16);
    // Squares of 1.2e8 (1.44e16 each, past 2^53) and of 1e200 (past the largest double).
    const squares = readLimbs(sumInBatches([1.2e8, 1.2e8, 1.2e8], 2, true), 'x');
    expect(squares).toBe(exactValue(1.44e16) * 3n);
    expect(exactSqrtQuotient(squares, 3)).toBe(1.2e8);
    const huge = readLimbs(sumInBatches([1e200, -1e200, 1e200], 1, true), 'x');
    expect(exactSqrtQuotient(huge, 3)).toBeCloseTo(1e200, -190);
    // The doubles nearest 0.1, 0.2 and -0.3 add up to exactly 2^-55.
    expect(exactQuotient(readLimbs(sumInBatches([0.1, 0.2, -0.3], 1), 'x'))).toBe(2 ** -55);
  });

  it('give the same sum in any order and any batching, where doubles do not', () => {
    const values = Array.from({ length: 300 }, (_, i) => (i % 7 === 0 ? 1e15 : 0.001 * i) * (i % 2 ? -1 : 1));
    const forward = readLimbs(sumInBatches(values, 17), 'x');
    const backward = readLimbs(sumInBatches([...values].reverse(), 100), 'x');
    expect(forward).toBe(backward);
    expect(values.reduce((a, b) => a + b, 0)).not.toBe([...values].reverse().reduce((a, b) => a + b, 0));
  });

  it('read a sum kept as one number by earlier versions together with limbs', () => {
    const counters: Record<string, number> = { x: 2.5 };
    addLimbs(counters, 'x', exactValue(0.5));
    expect(exactQuotient(readLimbs(counters, 'x'))).toBe(3);
  });
});
