import { binnedStats } from './binned.ts';
import { categoricalStats, categoryTable } from './categorical.ts';
import { ksPValue } from './ks.ts';
import { columnResult, sideSummary } from './methods.ts';
import { MIN_NORMALISING_STD, type NumericalStats } from './numerical.ts';
import {
  driftBinCounts,
  type NumericalProfile,
  type NumericalWindow,
  numericalWindow,
  OTHER_CATEGORY,
  type ReferenceProfile,
  type WindowCounters,
} from './profile.ts';
import type { ColumnDrift, MethodChoice, ProfileEstimates } from './types.ts';

/**
 * Drift between two windows of one column, both counted on the same baseline profile: an earlier
 * window (the seasonal reference, one lag back) taken as the reference, and the current window
 * (docs/drift.md, "Seasonal reference").
 *
 * - Binned statistics (psi, kl, jensenShannon, hellinger) on the baseline's drift bins, and the
 *   chi-square test and the binned statistics on the categories both windows counted, are exact:
 *   both sides are counts in the same bins.
 * - KS and Wasserstein come from the two sketches with rigorous bounds, as against a profile,
 *   except that the earlier window, unlike the baseline, may have values below the first sketch
 *   edge and above the last: the two open bins then add to the bounds too.
 * - `wassersteinNormed` divides by the baseline's standard deviation (at least 0.001), so a
 *   threshold means the same against either reference.
 */
export function compareWindows(
  name: string,
  ref: ReferenceProfile,
  earlier: WindowCounters,
  current: WindowCounters,
  choice: Required<MethodChoice>,
): ColumnDrift {
  if (ref.type === 'numerical') {
    const a = numericalWindow(ref, earlier);
    const b = numericalWindow(ref, current);
    const stats = ref.count === 0 || a.count === 0 || b.count === 0 ? null : windowEstimates(ref, a, b);
    return columnResult(
      name,
      'numerical',
      sideSummary(a.count, earlier.miss ?? 0),
      sideSummary(b.count, current.miss ?? 0),
      choice,
      stats,
    );
  }
  const a = categoryCounts(earlier);
  const b = categoryCounts(current);
  const stats = a.count === 0 || b.count === 0 ? null : categoricalStats(categoryTable(a.counts, b.counts));
  const named = (c: string) => c !== OTHER_CATEGORY;
  return columnResult(
    name,
    'categorical',
    sideSummary(a.count, earlier.miss ?? 0),
    sideSummary(b.count, current.miss ?? 0),
    choice,
    stats && {
      ...stats,
      newCategories: stats.newCategories.filter(named),
      missingCategories: stats.missingCategories.filter(named),
    },
  );
}

function categoryCounts(window: WindowCounters): { count: number; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  let count = 0;
  for (const [key, value] of Object.entries(window)) {
    if (!key.startsWith('c:') || value === 0) continue;
    counts.set(key.slice(2), value);
    count += value;
  }
  return { count, counts };
}

/**
 * KS and Wasserstein of two sketches on the baseline's grid, with bounds (side A the earlier
 * window, side B the current one):
 *
 * - KS: D_lo = max over the edges of |F_A − F_B| just below them (exact there), D_hi the largest
 *   corner difference inside a bin, bin 0 and the last bin included.
 * - Wasserstein, per bin: the signed integral I of F_A − F_B is exact (the offsets give ∫ of each
 *   ECDF over the bin; over the open bins ∫F below the first edge and ∫(1 − F) above the last are
 *   the offset sums over n), and ∫|F_A − F_B| lies in [|I|, |I| + 2·min(∫f⁺, ∫f⁻)]: in a finite
 *   bin with the profile's bounds on ∫f⁺ and ∫f⁻, in an open bin with ∫f⁺ ≤ ∫F_A and
 *   ∫f⁻ ≤ ∫F_B below the first edge (∫(1 − F) above the last, sides swapped). The estimate is
 *   the distance between the sketches with each bin collapsed to its mean, clamped to the bounds.
 */
function windowEstimates(
  ref: NumericalProfile,
  a: NumericalWindow,
  b: NumericalWindow,
): NumericalStats & ProfileEstimates {
  const edges = ref.sketch.edges;
  const last = a.sketchCounts.length - 1;
  const nA = a.count;
  const nB = b.count;
  let dLow = 0;
  let dHigh = 0;
  let wLow = 0;
  let wSlack = 0;
  let cumA = 0;
  let cumB = 0;
  for (let k = 0; k <= last; k++) {
    const countA = a.sketchCounts[k] as number;
    const countB = b.sketchCounts[k] as number;
    const fA = cumA / nA;
    const fB = cumB / nB;
    if (k === 0 || k === last) {
      // Open bins: the offset sums over n are ∫F below the first edge, ∫(1 − F) above the last.
      const tailA = (a.sketchOffsets[k] as number) / nA;
      const tailB = (b.sketchOffsets[k] as number) / nB;
      wLow += Math.abs(tailA - tailB);
      wSlack += Math.min(tailA, tailB);
    } else {
      const width = (edges[k] as number) - (edges[k - 1] as number);
      const delta = fA - fB;
      const alpha = Math.max(0, countA * width - (a.sketchOffsets[k] as number)) / nA;
      const beta = Math.max(0, countB * width - (b.sketchOffsets[k] as number)) / nB;
      wLow += Math.abs(delta * width + alpha - beta);
      const p = countA / nA;
      const q = countB / nB;
      const positive = delta >= 0 ? delta * width + alpha : Math.min(alpha, width * Math.max(0, p + delta));
      const negative = delta <= 0 ? -delta * width + beta : Math.min(beta, width * Math.max(0, q - delta));
      wSlack += Math.min(positive, negative);
    }
    dHigh = Math.max(dHigh, (cumA + countA) / nA - fB, (cumB + countB) / nB - fA);
    if (k > 0) dLow = Math.max(dLow, Math.abs(fA - fB));
    cumA += countA;
    cumB += countB;
  }
  const wHigh = wLow + 2 * wSlack;
  const wasserstein = Math.min(Math.max(collapsedDistance(edges, a, b), wLow), wHigh);
  const wBound = Math.max(wasserstein - wLow, wHigh - wasserstein);
  const scale = Math.max(ref.std, MIN_NORMALISING_STD);
  return {
    ks: { statistic: dLow, pValue: ksPValue(dLow, nA, nB).pValue, errorBound: dHigh - dLow },
    wasserstein,
    wassersteinNormed: wasserstein / scale,
    ...binnedStats(driftBinCounts(ref, a.sketchCounts), driftBinCounts(ref, b.sketchCounts)),
    wassersteinErrorBound: wBound,
    wassersteinNormedErrorBound: wBound / scale,
  };
}

/** The 1-Wasserstein distance between the two sketches with each bin's values at their mean. */
function collapsedDistance(edges: readonly number[], a: NumericalWindow, b: NumericalWindow): number {
  const atoms = (side: NumericalWindow) => {
    const out: { at: number; mass: number }[] = [];
    side.sketchCounts.forEach((count, k) => {
      if (count === 0) return;
      const mean = (side.sketchOffsets[k] as number) / count;
      out.push({
        at: k === 0 ? (edges[0] as number) - mean : (edges[k - 1] as number) + mean,
        mass: count / side.count,
      });
    });
    return out;
  };
  const atomsA = atoms(a);
  const atomsB = atoms(b);
  let i = 0;
  let j = 0;
  let fA = 0;
  let fB = 0;
  let previous = Math.min(atomsA[0]?.at ?? Infinity, atomsB[0]?.at ?? Infinity);
  let distance = 0;
  while (i < atomsA.length || j < atomsB.length) {
    const nextA = atomsA[i]?.at ?? Infinity;
    const nextB = atomsB[j]?.at ?? Infinity;
    const x = Math.min(nextA, nextB);
    distance += Math.abs(fA - fB) * (x - previous);
    previous = x;
    if (nextA === x) fA += (atomsA[i++] as { mass: number }).mass;
    if (nextB === x) fB += (atomsB[j++] as { mass: number }).mass;
  }
  return distance;
}
