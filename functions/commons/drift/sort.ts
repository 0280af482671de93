/**
 * An ascending sorted copy of finite float64 values (no NaN); the input is left untouched.
 * `scratch`, at least as long as `values`, is the radix sort's second buffer: callers that sort
 * several arrays pass one so that each sort does not allocate its own.
 *
 * Small arrays use the engine's typed-array sort. Large ones use a least-significant-digit radix
 * sort on the IEEE-754 bit patterns, mapped to unsigned keys of the same order: four passes of
 * 16-bit digits between two buffers (a pass is skipped where every key shares the digit). On a
 * million values it is about one and a half times faster than the built-in sort, which helps KS
 * on 1M vs 1M beat SciPy. Both orders agree exactly, -0 before +0.
 */
export function sortedCopy(values: Float64Array, scratch?: Float64Array): Float64Array {
  return sortInPlace(values.slice(), scratch);
}

/** Sorts finite float64 values ascending in place (as {@link sortedCopy}) and returns them. */
export function sortInPlace(values: Float64Array, scratch?: Float64Array): Float64Array {
  if (values.length < RADIX_MIN_LENGTH) return values.sort();
  if (scratch !== undefined && scratch.length < values.length) {
    throw new RangeError(`sort scratch holds ${scratch.length} values, ${values.length} needed`);
  }
  radixSort(values, scratch ?? new Float64Array(values.length));
  return values;
}

const RADIX_MIN_LENGTH = 1 << 14;
const DIGIT_BITS = 16;
const BUCKETS = 1 << DIGIT_BITS;
const DIGIT_MASK = BUCKETS - 1;
const SIGN = 0x80000000;

function radixSort(values: Float64Array, scratch: Float64Array): void {
  const n = values.length;
  // Little-endian words: index 2i holds the low 32 bits of values[i], 2i+1 the high 32 bits.
  let source: Uint32Array = new Uint32Array(values.buffer, values.byteOffset, n * 2);
  let target: Uint32Array = new Uint32Array(scratch.buffer, scratch.byteOffset, n * 2);

  // To keys: flip every bit of a negative, only the sign bit of a non-negative. Count all four
  // digits in the same pass.
  const counts = new Uint32Array(4 * BUCKETS);
  for (let i = 0; i < n; i++) {
    let lo = source[2 * i] as number;
    let hi = source[2 * i + 1] as number;
    if (hi & SIGN) {
      hi = ~hi >>> 0;
      lo = ~lo >>> 0;
    } else {
      hi = (hi | SIGN) >>> 0;
    }
    source[2 * i] = lo;
    source[2 * i + 1] = hi;
    increment(counts, lo & DIGIT_MASK);
    increment(counts, BUCKETS + (lo >>> DIGIT_BITS));
    increment(counts, 2 * BUCKETS + (hi & DIGIT_MASK));
    increment(counts, 3 * BUCKETS + (hi >>> DIGIT_BITS));
  }

  for (let pass = 0; pass < 4; pass++) {
    const offset = pass * BUCKETS;
    if (allKeysShareDigit(counts, offset, n)) continue;
    let position = 0;
    for (let d = 0; d < BUCKETS; d++) {
      const c = counts[offset + d] as number;
      counts[offset + d] = position;
      position += c;
    }
    const word = pass >> 1;
    const shift = (pass & 1) * DIGIT_BITS;
    for (let i = 0; i < n; i++) {
      const lo = source[2 * i] as number;
      const hi = source[2 * i + 1] as number;
      const digit = ((word === 0 ? lo : hi) >>> shift) & DIGIT_MASK;
      const slot = counts[offset + digit] as number;
      counts[offset + digit] = slot + 1;
      target[2 * slot] = lo;
      target[2 * slot + 1] = hi;
    }
    const swap = source;
    source = target;
    target = swap;
  }

  // Back to doubles, into the caller's array.
  const out = new Uint32Array(values.buffer, values.byteOffset, n * 2);
  for (let i = 0; i < n; i++) {
    const lo = source[2 * i] as number;
    const hi = source[2 * i + 1] as number;
    if (hi & SIGN) {
      out[2 * i] = lo;
      out[2 * i + 1] = hi & ~SIGN;
    } else {
      out[2 * i] = ~lo;
      out[2 * i + 1] = ~hi;
    }
  }
}

function increment(counts: Uint32Array, index: number): void {
  counts[index] = (counts[index] as number) + 1;
}

function allKeysShareDigit(counts: Uint32Array, offset: number, n: number): boolean {
  for (let d = 0; d < BUCKETS; d++) {
    const c = counts[offset + d] as number;
    if (c !== 0) return c === n;
  }
  return true;
}
