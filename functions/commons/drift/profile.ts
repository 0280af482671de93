import { binnedStats, countSortedIntoBins, DEFAULT_BINS, quantileEdges, uniqueQuantiles } from './binned.ts';
import { categoryTable } from './category-table.ts';
import { type ColumnChart, categoricalChart, numericalChart } from './charts.ts';
import { ksPValue } from './ks.ts';
import { DriftInputError } from './methods.ts';
import { MIN_NORMALISING_STD, type NumericalStats, populationStd } from './numerical.ts';
import { searchRight } from './numpy.ts';
import { sortedCopy } from './sort.ts';
import type { ColumnDrift, ColumnType, ProfileEstimates } from './types.ts';
import { categoryOf, compareCodePoints, isMissing, numericValue } from './values.ts';

/**
 * Drift from aggregates. A reference profile is fitted once on the baseline's values; the
 * production side of a window is a flat map of additive counters ({@link WindowCounters}) that
 * ingestion fills with {@link countValue} and that shards merge by addition. `evaluateProfile`
 * (`profile-drift.ts`) then yields the same {@link ColumnDrift} as {@link compareDatasets}: the binned statistics
 * (psi, kl, jensenShannon, hellinger, chiSquare, new and missing categories) exactly equal to the
 * raw-data ones, KS and Wasserstein as estimates with rigorous error bounds (docs/drift.md).
 */

/** The profile of a numerical reference column. JSON-serialisable. */
export interface NumericalProfile {
  type: 'numerical';
  version: 1;
  /** Non-missing values. */
  count: number;
  missing: number;
  /** Sum, sum of squares, min and max of the values; null without values. */
  moments: { sum: number; sumSquares: number; min: number; max: number } | null;
  /** `np.std` of the values (ddof = 0), the divisor of `wassersteinNormed`. */
  std: number;
  /** The drift bins, as the raw-data path fits them: values fall in `searchsorted(edges[1:-1], v, "right")`. */
  bins: { edges: number[]; counts: number[] };
  /**
   * The fine grid for KS and Wasserstein: the unique reference quantiles at j/S, j = 0..S, and at
   * 0.1/S, 0.2/S, 0.5/S and one minus those, all of them inner edges, so sketch bin k of a value v is `searchsorted(edges, v, "right")`, from
   * (−∞, edges[0]) to [edges[last], ∞). Per bin: the count of reference values, and the sum of
   * their offsets from the bin's anchor (edges[0] − v in bin 0, v − edges[k−1] in bin k ≥ 1).
   */
  sketch: { edges: number[]; counts: number[]; offsets: number[] };
}

/** The profile of a categorical reference column. JSON-serialisable. */
export interface CategoricalProfile {
  type: 'categorical';
  version: 1;
  count: number;
  missing: number;
  /**
   * Reference categories in code-point order with their counts: the `maxCategories` most
   * common; any others are merged into one category named `__other__`.
   */
  categories: string[];
  counts: number[];
  /** The cap on tracked categories, also applied to new categories in windows. */
  maxCategories: number;
  /**
   * The cap on the bytes the tracked category names take as JSON (UTF-8), in the reference and
   * again for the new categories of a window; absent: no cap.
   */
  maxCategoryBytes?: number;
}

export type ReferenceProfile = NumericalProfile | CategoricalProfile;

/**
 * The production side of one window and column: additive counters only, so that DynamoDB `ADD`
 * updates of top-level number attributes build it and write shards merge by addition. An absent
 * key counts 0.
 *
 * - every column: `miss` (missing or, in a numerical column, non-numeric values);
 * - numerical: `s<k>` values in sketch bin k and `o<k>` the sum of their offsets from the bin's
 *   anchor, for k = 0..E where E ≤ S + 7 is the number of unique sketch edges, plus `sum` and
 *   `sq` (sum of values and of squares). A numerical feature thus writes at most 2·(S + 8) + 3
 *   keys: 219 with the default S = 100 sketch bins (only the non-zero ones are written);
 * - categorical: `c:<category>` per category: at most `maxCategories` (default 1000) reference
 *   categories plus, per counting map, `maxCategories` new ones; the rest go to `c:__other__`.
 *   When the reference had more categories than that, its rarest are `__other__` too, and so is
 *   every category the profile does not know (new ones cannot be told apart from them).
 */
export type WindowCounters = Record<string, number>;

export interface ProfileOptions {
  /** Drift bins (default 10). */
  bins?: number;
  /** Sketch bins S for KS and Wasserstein, a multiple of `bins` (default: the first multiple ≥ 100). */
  sketchBins?: number;
  /** Categories tracked for a categorical column (default 1000). */
  maxCategories?: number;
  /** Bytes the names of the tracked categories may take as JSON, in all (default: no cap). */
  maxCategoryBytes?: number;
}

export const DEFAULT_MAX_CATEGORIES = 1000;
export const OTHER_CATEGORY = '__other__';
const DEFAULT_SKETCH_BINS = 100;

/**
 * Fits the profile of one reference column from its raw values and its type. In a numerical
 * column, cells that are missing or not numbers count as missing.
 */
export function fitReferenceProfile(
  values: readonly unknown[],
  type: ColumnType,
  options: ProfileOptions = {},
): ReferenceProfile {
  return type === 'numerical' ? fitNumerical(values, options) : fitCategorical(values, options);
}

function fitNumerical(values: readonly unknown[], options: ProfileOptions): NumericalProfile {
  const bins = options.bins ?? DEFAULT_BINS;
  const sketchBins = options.sketchBins ?? bins * Math.ceil(DEFAULT_SKETCH_BINS / bins);
  if (!Number.isInteger(bins) || bins < 1) throw new DriftInputError('bins must be a positive integer');
  if (!Number.isInteger(sketchBins) || sketchBins < bins || sketchBins % bins !== 0) {
    throw new DriftInputError('sketch bins must be a multiple of bins');
  }
  const finite = new Float64Array(values.length);
  let count = 0;
  for (const value of values) {
    const number = isMissing(value) ? Number.NaN : numericValue(value);
    if (!Number.isNaN(number)) finite[count++] = number;
  }
  const data = finite.subarray(0, count);
  const missing = values.length - count;
  if (count === 0) {
    return {
      type: 'numerical',
      version: 1,
      count,
      missing,
      moments: null,
      std: 0,
      bins: { edges: [], counts: [0] },
      sketch: { edges: [], counts: [0], offsets: [0] },
    };
  }
  const std = populationStd(data);
  let sum = 0;
  let sumSquares = 0;
  for (const v of data) {
    sum += v;
    sumSquares += v * v;
  }
  const sorted = sortedCopy(data);
  const edges = quantileEdges(sorted, bins);
  // Quantiles at i/B and (i·S/B)/S are the same doubles, so every drift edge is a sketch edge.
  const sketchEdges = uniqueQuantiles(sorted, sketchProbabilities(sketchBins));
  const sketchCounts = countSortedIntoBins(sorted, sketchEdges);
  const sketchOffsets = sketchCounts.map(() => 0);
  for (const v of sorted) {
    const k = searchRight(sketchEdges, v);
    sketchOffsets[k] = (sketchOffsets[k] as number) + offsetInSketchBin(sketchEdges, k, v);
  }
  return {
    type: 'numerical',
    version: 1,
    count,
    missing,
    moments: { sum, sumSquares, min: sorted[0] as number, max: sorted[count - 1] as number },
    std,
    bins: { edges, counts: countSortedIntoBins(sorted, edges.slice(1, -1)) },
    sketch: { edges: sketchEdges, counts: sketchCounts, offsets: sketchOffsets },
  };
}

function fitCategorical(values: readonly unknown[], options: ProfileOptions): CategoricalProfile {
  const maxCategories = options.maxCategories ?? DEFAULT_MAX_CATEGORIES;
  if (!Number.isInteger(maxCategories) || maxCategories < 1) {
    throw new DriftInputError('max categories must be a positive integer');
  }
  const counts = new Map<string, number>();
  let missing = 0;
  for (const value of values) {
    if (isMissing(value)) missing++;
    else increment(counts, categoryOf(value), 1);
  }
  const maxCategoryBytes = options.maxCategoryBytes;
  if (maxCategoryBytes !== undefined && !(maxCategoryBytes > 0)) {
    throw new DriftInputError('max category bytes must be positive');
  }
  const ranked = [...counts].sort(byCountThenName);
  const tracked = trackedPrefix(ranked, maxCategories, maxCategoryBytes);
  const kept = new Map(ranked.slice(0, tracked));
  const other = ranked.slice(tracked).reduce((total, [, c]) => total + c, 0);
  if (other > 0) increment(kept, OTHER_CATEGORY, other);
  const categories = [...kept.keys()].sort(compareCodePoints);
  return {
    type: 'categorical',
    version: 1,
    count: values.length - missing,
    missing,
    categories,
    counts: categories.map((c) => kept.get(c) as number),
    maxCategories,
    ...(maxCategoryBytes !== undefined ? { maxCategoryBytes } : {}),
  };
}

const utf8 = new TextEncoder();

const byCountThenName = ([a, ca]: [string, number], [b, cb]: [string, number]) =>
  cb - ca || compareCodePoints(a, b);

/**
 * How many of the leading categories of `ranked` (most common first) are tracked by name: at
 * most `maxCount`, whose names take at most `maxBytes` as JSON in all. The rest are `__other__`.
 */
function trackedPrefix(ranked: readonly [string, number][], maxCount: number, maxBytes = Infinity): number {
  let bytes = 0;
  for (let i = 0; i < ranked.length && i < maxCount; i++) {
    bytes += utf8.encode(JSON.stringify((ranked[i] as [string, number])[0])).length;
    if (bytes > maxBytes) return i;
  }
  return Math.min(ranked.length, maxCount);
}

/**
 * The sketch grid: j/S for j = 0..S, refined in both tails at 0.1/S, 0.2/S and 0.5/S (and one
 * minus those), where the outermost bins are widest and would dominate the Wasserstein bound.
 */
function sketchProbabilities(sketchBins: number): number[] {
  const regular = Array.from({ length: sketchBins + 1 }, (_, j) => j / sketchBins);
  const tails = [0.1, 0.2, 0.5].map((t) => t / sketchBins);
  return [...regular, ...tails, ...tails.map((t) => 1 - t)];
}

/** Adds one value's increments to a window's counters. */
export function countValue(ref: ReferenceProfile, value: unknown, into: WindowCounters): void {
  if (ref.type === 'numerical') {
    const number = isMissing(value) ? Number.NaN : numericValue(value);
    if (Number.isNaN(number)) {
      add(into, 'miss', 1);
      return;
    }
    const edges = ref.sketch.edges;
    const k = searchRight(edges, number);
    add(into, `s${k}`, 1);
    const offset = offsetInSketchBin(edges, k, number);
    if (offset !== 0) add(into, `o${k}`, offset);
    add(into, 'sum', number);
    add(into, 'sq', number * number);
    return;
  }
  if (isMissing(value)) {
    add(into, 'miss', 1);
    return;
  }
  const category = categoryOf(value);
  const key = `c:${category}`;
  if (referenceCategories(ref).has(category) || key in into) {
    add(into, key, 1);
    return;
  }
  const seen = newCategoryKeys(ref, into);
  if (seen.size < newCategoryCap(ref)) {
    seen.add(key);
    add(into, key, 1);
  } else {
    add(into, `c:${OTHER_CATEGORY}`, 1);
  }
}

/** Distinct texts a {@link ColumnCounter} remembers the key of (a batch holds at most 1,000 records). */
const MEMO_TEXTS = 1024;

/**
 * Counts many values of one column: the same counters as {@link countValue} applied to each
 * value in turn, bit for bit (the same additions in the same order), but a numerical column
 * counts into arrays rather than into a string key per value. Ingestion uses one per column
 * and batch.
 */
export class ColumnCounter {
  private readonly counts: Float64Array;
  private readonly offsets: Float64Array;
  /** Categorical: count per `c:<category>` key, and how many of those keys are new categories. */
  private readonly categories = new Map<string, number>();
  /**
   * Categorical: the key of each text seen, or null for a text that reads as missing, so that a
   * text repeated across a batch is looked at once (at most {@link MEMO_TEXTS} of them).
   */
  private readonly textKeys = new Map<string, string | null>();
  private newCategories = 0;
  private values = 0;
  private sum = 0;
  private sumSquares = 0;
  private missing = 0;

  constructor(private readonly ref: ReferenceProfile) {
    const bins = ref.type === 'numerical' ? ref.sketch.edges.length + 1 : 0;
    this.counts = new Float64Array(bins);
    this.offsets = new Float64Array(bins);
  }

  add(value: unknown): void {
    const ref = this.ref;
    if (ref.type !== 'numerical') {
      this.addCategory(ref, value);
      return;
    }
    const number = isMissing(value) ? Number.NaN : numericValue(value);
    if (Number.isNaN(number)) {
      this.missing++;
      return;
    }
    const edges = ref.sketch.edges;
    const k = searchRight(edges, number);
    this.counts[k] = (this.counts[k] as number) + 1;
    const offset = offsetInSketchBin(edges, k, number);
    if (offset !== 0) this.offsets[k] = (this.offsets[k] as number) + offset;
    this.values++;
    this.sum += number;
    this.sumSquares += number * number;
  }

  /** {@link countValue}'s categorical branch, on a map. */
  private addCategory(ref: CategoricalProfile, value: unknown): void {
    let key = typeof value === 'string' ? this.textKeys.get(value) : undefined;
    if (key === undefined) {
      key = isMissing(value) ? null : `c:${categoryOf(value)}`;
      if (typeof value === 'string' && this.textKeys.size < MEMO_TEXTS) this.textKeys.set(value, key);
    }
    if (key === null) {
      this.missing++;
      return;
    }
    const count = this.categories.get(key);
    if (count !== undefined) this.categories.set(key, count + 1);
    else if (referenceCategories(ref).has(key.slice(2))) this.categories.set(key, 1);
    else if (this.newCategories < newCategoryCap(ref)) {
      this.newCategories++;
      this.categories.set(key, 1);
    } else {
      const other = `c:${OTHER_CATEGORY}`;
      this.categories.set(other, (this.categories.get(other) ?? 0) + 1);
    }
  }

  /** The counters so far, with the keys {@link countValue} would have written. */
  counters(): WindowCounters {
    const out: WindowCounters = {};
    if (this.missing > 0) out.miss = this.missing;
    if (this.ref.type !== 'numerical') {
      for (const [key, count] of this.categories) out[key] = count;
      return out;
    }
    this.counts.forEach((count, k) => {
      if (count > 0) out[`s${k}`] = count;
      // Offsets are never negative, so a non-zero sum means a non-zero offset was added.
      if (this.offsets[k] !== 0) out[`o${k}`] = this.offsets[k] as number;
    });
    if (this.values > 0) {
      out.sum = this.sum;
      out.sq = this.sumSquares;
    }
    return out;
  }

  /**
   * `JSON.stringify(this.counters())`, written straight from the counts: the same text, without
   * building an object of a few hundred keys first (what ingest writes for every batch).
   */
  countersJson(): string {
    let out = '';
    if (this.missing > 0) out += `,"miss":${this.missing}`;
    if (this.ref.type !== 'numerical') {
      for (const [key, count] of this.categories) out += `,${JSON.stringify(key)}:${count}`;
    } else {
      const { counts, offsets } = this;
      for (let k = 0; k < counts.length; k++) {
        const count = counts[k] as number;
        if (count > 0) out += `,"s${k}":${count}`;
        const offset = offsets[k] as number;
        if (offset !== 0) out += `,"o${k}":${jsonNumber(offset)}`;
      }
      if (this.values > 0) out += `,"sum":${jsonNumber(this.sum)},"sq":${jsonNumber(this.sumSquares)}`;
    }
    return `{${out.slice(1)}}`;
  }
}

/** A number as JSON.stringify writes it (a sum that overflowed is `null`). */
const jsonNumber = (value: number) => (Number.isFinite(value) ? `${value}` : 'null');

/** The sum of two windows' counters (write shards, or windows rolled up). */
export function mergeCounters(a: WindowCounters, b: WindowCounters): WindowCounters {
  const out: WindowCounters = { ...a };
  for (const [key, value] of Object.entries(b)) add(out, key, value);
  return out;
}

/** The chart of one column from its reference profile and a window's counters. */
export function profileChart(name: string, ref: ReferenceProfile, window: WindowCounters): ColumnChart {
  if (ref.type === 'numerical') {
    if (ref.count === 0) return { column: name, type: 'numerical', bins: [] };
    const current = numericalWindow(ref, window);
    return numericalChart(name, ref.bins.edges, ref.bins.counts, driftBinCounts(ref, current.sketchCounts));
  }
  return categoricalChart(name, categoryTable(referenceCounts(ref), categoricalWindow(ref, window).counts));
}

// ---- numerical ----

export interface NumericalWindow {
  count: number;
  sketchCounts: number[];
  sketchOffsets: number[];
}

export function numericalWindow(ref: NumericalProfile, window: WindowCounters): NumericalWindow {
  const bins = ref.sketch.counts.length;
  const sketchCounts = new Array<number>(bins).fill(0);
  const sketchOffsets = new Array<number>(bins).fill(0);
  for (const [key, value] of Object.entries(window)) {
    const match = /^([so])(\d+)$/.exec(key);
    if (!match) continue;
    const k = Number(match[2]);
    if (k >= bins)
      throw new DriftInputError(`window counter ${key} does not match the profile's ${bins} sketch bins`);
    (match[1] === 's' ? sketchCounts : sketchOffsets)[k] = value;
  }
  return { count: sketchCounts.reduce((sum, c) => sum + c, 0), sketchCounts, sketchOffsets };
}

/** Folds sketch bin counts into drift bin counts: each sketch bin lies inside one drift bin. */
export function driftBinCounts(ref: NumericalProfile, sketchCounts: readonly number[]): number[] {
  const inner = ref.bins.edges.slice(1, -1);
  const counts = new Array<number>(inner.length + 1).fill(0);
  sketchCounts.forEach((c, k) => {
    const bin = k === 0 ? 0 : searchRight(inner, ref.sketch.edges[k - 1] as number);
    counts[bin] = (counts[bin] as number) + c;
  });
  return counts;
}

/**
 * KS and Wasserstein from the two sketches, with rigorous bounds (docs/drift.md derives them):
 *
 * - KS: at every sketch edge g both ECDFs are known exactly from the cumulative counts; the
 *   estimate is D_lo = max_g |F_r(g⁻) − F_c(g⁻)| ≤ D. Inside a bin each ECDF stays between its
 *   values at the bin's ends, so D ≤ D_hi, the largest corner difference over the bins, and
 *   D_hi − D_lo is at most the largest current share of one sketch bin. Reported: D_lo with
 *   errorBound D_hi − D_lo (D lies in [statistic, statistic + errorBound]).
 * - Wasserstein = Σ over bins of ∫|F_r − F_c|. Below the reference minimum F_r = 0 and above its
 *   maximum F_r = 1, so those two bins contribute exactly (their offset sums). In a finite bin
 *   [a, b) the signed integral I = ∫(F_r − F_c) is exact (offset sums give ∫ of each ECDF), and
 *   ∫|f| = |I| + 2·min(∫f⁺, ∫f⁻), each of which is bounded from the bin's width, shares and
 *   offsets: W ∈ [W_lo, W_hi]. The estimate is the distance between the sketches with each
 *   bin collapsed to its mean, clamped to [W_lo, W_hi]; errorBound is its distance to the
 *   farther end.
 */
export function numericalEstimates(
  ref: NumericalProfile,
  current: NumericalWindow,
): NumericalStats & ProfileEstimates {
  const nR = ref.count;
  const nC = current.count;
  const edges = ref.sketch.edges;
  const refCounts = ref.sketch.counts;
  const last = refCounts.length - 1;

  let dLow = 0;
  let dHigh = 0;
  let wLow = 0;
  let wSlack = 0;
  let cumR = 0;
  let cumC = 0;
  for (let k = 0; k <= last; k++) {
    const r = refCounts[k] as number;
    const c = current.sketchCounts[k] as number;
    const fR = cumR / nR; // F_r just below the bin
    const fC = cumC / nC;
    const p = r / nR;
    const q = c / nC;
    if (k === 0) {
      // No reference value lies below the minimum: F_r = 0 here.
      wLow += (current.sketchOffsets[0] as number) / nC;
      dHigh = Math.max(dHigh, (cumC + c) / nC);
    } else if (k === last) {
      // Every reference value is at most the maximum: F_r = 1 here.
      wLow += (current.sketchOffsets[k] as number) / nC;
      dHigh = Math.max(dHigh, 1 - fC);
    } else {
      const width = (edges[k] as number) - (edges[k - 1] as number);
      const delta = fR - fC;
      const rhoIntegral = Math.max(0, r * width - (ref.sketch.offsets[k] as number)) / nR;
      const gammaIntegral = Math.max(0, c * width - (current.sketchOffsets[k] as number)) / nC;
      wLow += Math.abs(delta * width + rhoIntegral - gammaIntegral);
      const positive =
        delta >= 0 ? delta * width + rhoIntegral : Math.min(rhoIntegral, width * Math.max(0, p + delta));
      const negative =
        delta <= 0 ? -delta * width + gammaIntegral : Math.min(gammaIntegral, width * Math.max(0, q - delta));
      wSlack += Math.min(positive, negative);
      dHigh = Math.max(dHigh, (cumR + r) / nR - fC, (cumC + c) / nC - fR);
    }
    if (k > 0) dLow = Math.max(dLow, Math.abs(fR - fC));
    cumR += r;
    cumC += c;
  }

  const wHigh = wLow + 2 * wSlack;
  const wasserstein = Math.min(Math.max(collapsedWasserstein(ref, current), wLow), wHigh);
  const wBound = Math.max(wasserstein - wLow, wHigh - wasserstein);
  const scale = Math.max(ref.std, MIN_NORMALISING_STD);
  return {
    ks: { statistic: dLow, pValue: ksPValue(dLow, nR, nC).pValue, errorBound: dHigh - dLow },
    wasserstein,
    wassersteinNormed: wasserstein / scale,
    ...binnedStats(ref.bins.counts, driftBinCounts(ref, current.sketchCounts)),
    wassersteinErrorBound: wBound,
    wassersteinNormedErrorBound: wBound / scale,
  };
}

/**
 * The 1-Wasserstein distance between the two sketches with each bin's values collapsed to
 * their mean (anchor ± mean offset): both sides' atoms are in bin order already, so one merge.
 */
function collapsedWasserstein(ref: NumericalProfile, current: NumericalWindow): number {
  const atoms = (counts: readonly number[], offsets: readonly number[], total: number) => {
    const out: { at: number; mass: number }[] = [];
    counts.forEach((c, k) => {
      if (c === 0) return;
      const mean = (offsets[k] as number) / c;
      const at =
        k === 0 ? (ref.sketch.edges[0] as number) - mean : (ref.sketch.edges[k - 1] as number) + mean;
      out.push({ at, mass: c / total });
    });
    return out;
  };
  const r = atoms(ref.sketch.counts, ref.sketch.offsets, ref.count);
  const c = atoms(current.sketchCounts, current.sketchOffsets, current.count);
  let i = 0;
  let j = 0;
  let fR = 0;
  let fC = 0;
  let previous = Math.min((r[0] as { at: number }).at, (c[0] as { at: number }).at);
  let distance = 0;
  while (i < r.length || j < c.length) {
    const nextR = i < r.length ? (r[i] as { at: number }).at : Infinity;
    const nextC = j < c.length ? (c[j] as { at: number }).at : Infinity;
    const x = Math.min(nextR, nextC);
    distance += Math.abs(fR - fC) * (x - previous);
    previous = x;
    if (nextR === x) fR += (r[i++] as { mass: number }).mass;
    if (nextC === x) fC += (c[j++] as { mass: number }).mass;
  }
  return distance;
}

/** The offset of v from the anchor of its sketch bin k (the grid is all of `edges`). */
function offsetInSketchBin(edges: readonly number[], k: number, v: number): number {
  if (edges.length === 0) return 0;
  return k === 0 ? (edges[0] as number) - v : v - (edges[k - 1] as number);
}

// ---- categorical ----

export function referenceCounts(ref: CategoricalProfile): Map<string, number> {
  return new Map(ref.categories.map((c, i) => [c, ref.counts[i] as number]));
}

export function categoricalWindow(
  ref: CategoricalProfile,
  window: WindowCounters,
): { count: number; counts: Map<string, number> } {
  const known = referenceCategories(ref);
  const counts = new Map<string, number>();
  const fresh: [string, number][] = [];
  let count = 0;
  for (const [key, value] of Object.entries(window)) {
    if (!key.startsWith('c:') || value === 0) continue;
    const category = key.slice(2);
    count += value;
    if (known.has(category) || category === OTHER_CATEGORY) increment(counts, category, value);
    else fresh.push([category, value]);
  }
  // Windows merged from many batches may bring more new categories than tracked: keep the most common.
  fresh.sort(byCountThenName);
  const tracked = trackedPrefix(fresh, newCategoryCap(ref), ref.maxCategoryBytes);
  fresh.forEach(([category, value], i) => {
    increment(counts, i < tracked ? category : OTHER_CATEGORY, value);
  });
  return { count, counts };
}

/**
 * A column's counters with the new categories cut down to what a window tracks by name (the
 * most common, within `maxCategories` and `maxCategoryBytes`), the rest added to `__other__`.
 * Compaction stores merged counters so, which bounds them however many batches they sum;
 * numerical counters are bounded by the sketch already and come back as they are.
 */
export function boundCounters(ref: ReferenceProfile, counters: WindowCounters): WindowCounters {
  if (ref.type === 'numerical') return counters;
  const known = referenceCategories(ref);
  const out: WindowCounters = {};
  const fresh: [string, number][] = [];
  for (const [key, value] of Object.entries(counters)) {
    const category = key.startsWith('c:') ? key.slice(2) : undefined;
    if (category === undefined || known.has(category) || category === OTHER_CATEGORY) out[key] = value;
    else fresh.push([category, value]);
  }
  fresh.sort(byCountThenName);
  const tracked = trackedPrefix(fresh, newCategoryCap(ref), ref.maxCategoryBytes);
  fresh.forEach(([category, value], i) => {
    add(out, `c:${i < tracked ? category : OTHER_CATEGORY}`, value);
  });
  return out;
}

/**
 * How many new categories a window tracks by name: none when the reference itself overflowed
 * into `__other__` (an unknown category may then be one of the untracked reference ones, so
 * every unknown category counts as `__other__`), `maxCategories` otherwise.
 */
function newCategoryCap(ref: CategoricalProfile): number {
  return referenceCategories(ref).has(OTHER_CATEGORY) ? 0 : ref.maxCategories;
}

const categorySets = new WeakMap<CategoricalProfile, Set<string>>();

function referenceCategories(ref: CategoricalProfile): Set<string> {
  let set = categorySets.get(ref);
  if (!set) {
    set = new Set(ref.categories);
    categorySets.set(ref, set);
  }
  return set;
}

const newKeysByCounters = new WeakMap<WindowCounters, Set<string>>();

/** The new-category keys already in a counters map (cached per map). */
function newCategoryKeys(ref: CategoricalProfile, into: WindowCounters): Set<string> {
  let keys = newKeysByCounters.get(into);
  if (!keys) {
    const known = referenceCategories(ref);
    keys = new Set(
      Object.keys(into).filter(
        (k) => k.startsWith('c:') && !known.has(k.slice(2)) && k !== `c:${OTHER_CATEGORY}`,
      ),
    );
    newKeysByCounters.set(into, keys);
  }
  return keys;
}

function add(counters: WindowCounters, key: string, value: number): void {
  counters[key] = (counters[key] ?? 0) + value;
}

function increment(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}
