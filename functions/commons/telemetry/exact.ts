/**
 * Exact sums of doubles, kept in counters that add up like any other.
 *
 * Every finite double is an integer multiple of 2^-1074, and the square of one (or of the
 * difference of two) an integer multiple of 2^-2148. So a sum of doubles or of their squares,
 * scaled by 2^SCALE_BITS (SCALE_BITS ≥ 2148), is exactly an integer: a BigInt, with no rounding
 * and no overflow whatever the values. A sum is stored as its base-2^20 digits ("limbs"), each a
 * small signed integer under its own key `<name>.<k>` weighing 2^(20·k): 1.5 is `{"x.0": 1,
 * "x.-1": 524288}`. Limbs add up key by key, so batches, merged deltas, buckets and shards sum
 * by plain addition of integers, exact in a double while a key's total stays under 2^53, that is
 * for up to 2^33 batches in one window (each batch adds less than 2^20 to a limb).
 */

const LIMB_BITS = 20;
const LIMB_MASK = (1n << BigInt(LIMB_BITS)) - 1n;
/** The binary point of an exact sum: 2148 rounded up to whole limbs. */
const SCALE_LIMBS = 108;
const SCALE_BITS = SCALE_LIMBS * LIMB_BITS;

const view = new DataView(new ArrayBuffer(8));

/** A finite double, scaled by 2^SCALE_BITS: exactly an integer. */
export function exactValue(x: number): bigint {
  if (!Number.isFinite(x)) throw new RangeError(`not a finite number: ${x}`);
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  if (biased > 0) mantissa |= 1n << 52n;
  // x = ±mantissa · 2^(max(biased, 1) − 1075), and that exponent is at least −1074.
  const scaled = mantissa << BigInt(Math.max(biased, 1) - 1075 + SCALE_BITS);
  return bits >> 63n ? -scaled : scaled;
}

/** The square of an exact value, at the same scale (exact for sums and differences of doubles). */
export function exactSquare(value: bigint): bigint {
  return (value * value) >> BigInt(SCALE_BITS);
}

/** Adds an exact value to a counters map as limbs under `name`. */
export function addLimbs(into: Record<string, number>, name: string, value: bigint): void {
  const sign = value < 0n ? -1 : 1;
  let rest = value < 0n ? -value : value;
  for (let k = -SCALE_LIMBS; rest > 0n; k++, rest >>= BigInt(LIMB_BITS)) {
    const limb = Number(rest & LIMB_MASK);
    if (limb === 0) continue;
    const key = `${name}.${k}`;
    into[key] = (into[key] ?? 0) + sign * limb;
  }
}

/**
 * The exact value of the sum under `name` in a counters map: its limbs, plus a plain number
 * under `name` itself (how sums were kept before, as one double) when there is one.
 */
export function readLimbs(counters: Readonly<Record<string, number>>, name: string): bigint {
  let total = 0n;
  const prefix = `${name}.`;
  for (const [key, limb] of Object.entries(counters)) {
    if (!key.startsWith(prefix)) continue;
    const k = Number(key.slice(prefix.length));
    if (!Number.isInteger(k) || !Number.isInteger(limb)) continue;
    total += BigInt(limb) << BigInt((k + SCALE_LIMBS) * LIMB_BITS);
  }
  const legacy = counters[name];
  if (typeof legacy === 'number' && Number.isFinite(legacy)) total += exactValue(legacy);
  return total;
}

/** An exact value divided by a positive integer, as m · 2^e with m an integer of about 64 bits. */
function quotientParts(value: bigint, divisor: number): { m: number; e: number } {
  const d = BigInt(divisor);
  const magnitude = value < 0n ? -value : value;
  const shift = 64 + d.toString(2).length - magnitude.toString(2).length;
  const q = shift >= 0 ? (magnitude << BigInt(shift)) / d : (magnitude >> BigInt(-shift)) / d;
  return { m: (value < 0n ? -1 : 1) * Number(q), e: -shift - SCALE_BITS };
}

/** x · 2^e without overflow or underflow in between. */
function scaleByPowerOfTwo(x: number, e: number): number {
  let out = x;
  let rest = e;
  for (; rest > 1000; rest -= 1000) out *= 2 ** 1000;
  for (; rest < -1000; rest += 1000) out *= 2 ** -1000;
  return out * 2 ** rest;
}

/** The double nearest an exact value divided by `divisor` (a mean: a sum over its count), to the ulp. */
export function exactQuotient(value: bigint, divisor = 1): number {
  if (value === 0n) return 0;
  const { m, e } = quotientParts(value, divisor);
  return scaleByPowerOfTwo(m, e);
}

/** The square root of a non-negative exact value divided by `divisor` (an RMS), to the ulp. */
export function exactSqrtQuotient(value: bigint, divisor = 1): number {
  if (value <= 0n) return 0;
  const { m, e } = quotientParts(value, divisor);
  const odd = e & 1;
  return scaleByPowerOfTwo(Math.sqrt(m * 2 ** odd), (e - odd) / 2);
}
