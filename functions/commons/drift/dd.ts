/**
 * Double-double arithmetic: the subset of the QD library (v2.3.18, as vendored in SciPy's
 * `scipy/special/cephes/dd_real*.h`) that SciPy's `smirnov` uses. A value is hi + lo with
 * |lo| ≤ ulp(hi)/2, about 106 bits of precision.
 */
export interface DD {
  readonly hi: number;
  readonly lo: number;
}

export const DD_ZERO: DD = { hi: 0, lo: 0 };
export const DD_ONE: DD = { hi: 1, lo: 0 };

const SPLITTER = 134217729.0; // 2^27 + 1
const SPLIT_THRESH = 6.69692879491417e299; // 2^996

export function dd(hi: number, lo = 0): DD {
  return { hi, lo };
}

/** `two_sum`: fl(a + b) and its exact rounding error. */
function twoSum(a: number, b: number): DD {
  const s = a + b;
  const c = s - a;
  const d = b - c;
  const e = s - c;
  return { hi: s, lo: a - e + d };
}

/** `quick_two_sum`: as twoSum, assuming |a| ≥ |b|. */
function quickTwoSum(a: number, b: number): DD {
  const s = a + b;
  const c = s - a;
  return { hi: s, lo: b - c };
}

function split(a: number): [number, number] {
  if (a > SPLIT_THRESH || a < -SPLIT_THRESH) {
    const scaled = a * 2 ** -28;
    const temp = SPLITTER * scaled;
    const hi = temp - (temp - scaled);
    const lo = scaled - hi;
    return [hi * 2 ** 28, lo * 2 ** 28];
  }
  const temp = SPLITTER * a;
  const hi = temp - (temp - a);
  return [hi, a - hi];
}

/** `two_prod`: fl(a·b) and its exact rounding error (Dekker's product). */
function twoProd(a: number, b: number): DD {
  const p = a * b;
  const [aHi, aLo] = split(a);
  const [bHi, bLo] = split(b);
  const c = aHi * bHi - p;
  const d = c + aHi * bLo + aLo * bHi;
  return { hi: p, lo: d + aLo * bLo };
}

/** `dd_add_d_d` */
export function addDd(a: number, b: number): DD {
  return twoSum(a, b);
}

/** `dd_mul_d_d` */
export function mulDd(a: number, b: number): DD {
  return twoProd(a, b);
}

/** `dd_div_d_d` */
export function divDd(a: number, b: number): DD {
  return div(dd(a), dd(b));
}

/** `dd_add` (the IEEE-style add of Briggs and Kahan). */
export function add(a: DD, b: DD): DD {
  const s = twoSum(a.hi, b.hi);
  const t = twoSum(a.lo, b.lo);
  const u = quickTwoSum(s.hi, s.lo + t.hi);
  return quickTwoSum(u.hi, u.lo + t.lo);
}

/** `dd_sub` */
export function sub(a: DD, b: DD): DD {
  return add(a, { hi: -b.hi, lo: -b.lo });
}

/** `dd_add_dd_d` */
export function addD(a: DD, b: number): DD {
  const s = twoSum(a.hi, b);
  return quickTwoSum(s.hi, s.lo + a.lo);
}

/** `dd_sub_dd_d` */
export function subD(a: DD, b: number): DD {
  return addD(a, -b);
}

/** `dd_mul` */
export function mul(a: DD, b: DD): DD {
  const p = twoProd(a.hi, b.hi);
  return quickTwoSum(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi));
}

/** `dd_mul_dd_d` (and `dd_mul_d_dd`, which is the same product). */
export function mulD(a: DD, b: number): DD {
  const p1 = twoProd(a.hi, b);
  const p2 = twoProd(a.lo, b);
  return quickTwoSum(p1.hi, p2.lo + p2.hi + p1.lo);
}

/** `dd_accurate_div` */
export function div(a: DD, b: DD): DD {
  const q1 = a.hi / b.hi;
  let r = sub(a, mulD(b, q1));
  const q2 = r.hi / b.hi;
  r = sub(r, mulD(b, q2));
  const q3 = r.hi / b.hi;
  return addD(quickTwoSum(q1, q2), q3);
}

/** `dd_inv` */
export function inv(a: DD): DD {
  return div(DD_ONE, a);
}

/** `dd_floor` */
export function floor(a: DD): DD {
  const hi = Math.floor(a.hi);
  if (hi === a.hi) return quickTwoSum(hi, Math.floor(a.lo));
  return { hi, lo: 0 };
}

/** `dd_ldexp`: a · 2^exponent. */
export function ldexpDD(a: DD, exponent: number): DD {
  return { hi: ldexp(a.hi, exponent), lo: ldexp(a.lo, exponent) };
}

/** `dd_frexp`: a = m · 2^exponent with 0.5 ≤ |m.hi| < 1 (or |m.hi| = 1 and m.hi·m.lo < 0). */
export function frexpDD(a: DD): { mantissa: DD; exponent: number } {
  let [man, exponent] = frexp(a.hi);
  let lo = ldexp(a.lo, -exponent);
  if (Math.abs(man) === 0.5 && man * lo < 0) {
    man *= 2;
    lo *= 2;
    exponent -= 1;
  }
  return { mantissa: { hi: man, lo }, exponent };
}

// ---- IEEE-754 helpers: C's frexp and ldexp (musl's scalbn), which JavaScript lacks ----

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** 2^n for an integer n in [-1022, 1023], exactly. */
function pow2(n: number): number {
  u32[0] = 0;
  u32[1] = (n + 1023) << 20;
  return f64[0] as number;
}

/** C's `frexp`: x = m · 2^e with 0.5 ≤ |m| < 1; zero, infinities and NaN give [x, 0]. */
export function frexp(x: number): [number, number] {
  if (x === 0 || !Number.isFinite(x)) return [x, 0];
  f64[0] = x;
  let bias = 1022;
  if (((u32[1] as number) >>> 20) % 0x800 === 0) {
    f64[0] = x * 18014398509481984; // 2^54: normalise a subnormal
    bias += 54;
  }
  const hi = u32[1] as number;
  const exponent = ((hi >>> 20) & 0x7ff) - bias;
  u32[1] = (hi & 0x800fffff) | (1022 << 20);
  return [f64[0] as number, exponent];
}

/** C's `ldexp` (musl's `scalbn`): x · 2^n with a single rounding. */
export function ldexp(x: number, n: number): number {
  let y = x;
  let e = n;
  if (e > 1023) {
    y *= pow2(1023);
    e -= 1023;
    if (e > 1023) {
      y *= pow2(1023);
      e -= 1023;
      if (e > 1023) e = 1023;
    }
  } else if (e < -1022) {
    // Keep the final exponent below -53 so that a subnormal result is rounded only once.
    y *= pow2(-969);
    e += 969;
    if (e < -1022) {
      y *= pow2(-969);
      e += 969;
      if (e < -1022) e = -1022;
    }
  }
  return y * pow2(e);
}
