/**
 * How raw cells are read (docs/drift.md, "Columns and missing values"): which cells are
 * missing, which are numbers, and the string a cell stands for as a category.
 */

/** Texts that stand for a missing cell (trimmed, case-insensitive). */
const MISSING_TEXTS = new Set([
  '',
  'nan',
  'null',
  'inf',
  '+inf',
  '-inf',
  'infinity',
  '+infinity',
  '-infinity',
]);

/** A plain decimal number: optional sign, digits with an optional fraction, optional exponent. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Whether a cell is missing: `null`/`undefined`, an empty or blank string, NaN or ±Infinity
 * (as numbers or as the texts "NaN", "Infinity", "inf", "null", in any case), or a decimal text
 * too large for a double (it reads as ±Infinity).
 */
export function isMissing(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'number') return !Number.isFinite(value);
  if (typeof value === 'string') {
    const text = value.trim();
    if (MISSING_TEXTS.has(text.toLowerCase())) return true;
    return DECIMAL.test(text) && !Number.isFinite(Number(text));
  }
  return false;
}

/**
 * The finite number a non-missing cell holds, or NaN when it is not a number: JSON numbers,
 * bigints and plain decimal texts are numbers; booleans, hexadecimal and other texts are not.
 */
export function numericValue(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : Number.NaN;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') {
    const text = value.trim();
    if (!DECIMAL.test(text)) return Number.NaN;
    const number = Number(text);
    return Number.isFinite(number) ? number : Number.NaN;
  }
  return Number.NaN;
}

/** The category a non-missing cell stands for: its text, compared as a string. */
export function categoryOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  return JSON.stringify(value);
}

/**
 * Ascending order of strings by Unicode code point, as Python sorts `str` (JavaScript's default
 * order compares UTF-16 code units, which differs once astral characters meet U+E000–U+FFFF).
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca !== cb) return codePointRank(ca) - codePointRank(cb);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000; // surrogates: astral code points
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}
