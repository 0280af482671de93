import { randomUUID } from 'node:crypto';
import { applyDatasetRule } from '#drift/fdr';
import type { ReferenceProfile, WindowCounters } from '#drift/profile';
import { evaluateProfile } from '#drift/profile-drift';
import type { ColumnDrift } from '#drift/types';
import { compareCodePoints } from '#drift/values';
import { isBaselineReviewDue } from '../baseline-review/due.ts';
import { estimatedPerformance, estimatedReasons } from '../cbpe/evaluation.ts';
import { qualityChecks, qualityReasons } from '../quality/checks.ts';
import { getBaseline, referenceProfiles } from '../registry/baseline-reads.ts';
import type { ModelRecord } from '../registry/store.ts';
import { getSegmentIndexes, segmentPlans } from '../segments/baseline.ts';
import { evaluateSegments } from '../segments/evaluate.ts';
import { exactQuotient, readLimbs } from '../telemetry/exact.ts';
import { PREDICTION_COLUMN } from '../telemetry/keys.ts';
import { servedVersions, VERSION_COLUMN } from '../telemetry/versions.ts';
import { datasetRuleOf, fdrReason } from './dataset-rule.ts';
import { readExtendedWindow } from './extend.ts';
import { cut, fmt } from './format.ts';
import { checkThresholds, performanceFromActuals } from './performance.ts';
import { applySeasonalReference, laggedReason } from './seasonal.ts';
import { type EvaluationRecord, type EvaluationStatus, putEvaluation } from './store.ts';
import { alignedWindow } from './window.ts';

/**
 * A stored evaluation names at most this many new and this many missing categories per column,
 * the most common first, each name cut to {@link LISTED_NAME_LENGTH} characters, all of a list's
 * names within {@link LISTED_BYTES} bytes of JSON; the counts say how many there are. With 101
 * columns, the lists take at most 210 KB of the evaluation item.
 */
export const LISTED_CATEGORIES = 10;
export const LISTED_NAME_LENGTH = 64;
export const LISTED_BYTES = 1024;

/** The most common of `names` (by `weight`), as many as the limits allow, in code-point order. */
function listed(names: readonly string[], weight: (name: string) => number): string[] {
  const ranked = [...names].sort((a, b) => weight(b) - weight(a) || compareCodePoints(a, b));
  const out: string[] = [];
  let bytes = 2;
  for (const name of ranked.slice(0, LISTED_CATEGORIES)) {
    const shown = cut(name, LISTED_NAME_LENGTH);
    bytes += Buffer.byteLength(JSON.stringify(shown)) + 1;
    if (bytes > LISTED_BYTES) break;
    out.push(shown);
  }
  return out.sort(compareCodePoints);
}

/** A categorical column's new and missing categories, shortened as a stored evaluation lists them. */
function withListedCategories(
  column: ColumnDrift,
  profile: ReferenceProfile,
  window: WindowCounters,
): ColumnDrift {
  if (column.type !== 'categorical' || !column.stats || profile.type !== 'categorical') return column;
  const reference = new Map(profile.categories.map((c, i) => [c, profile.counts[i] as number]));
  const { newCategories, missingCategories } = column.stats;
  return {
    ...column,
    stats: {
      ...column.stats,
      newCategories: listed(newCategories, (c) => window[`c:${c}`] ?? 0),
      missingCategories: listed(missingCategories, (c) => reference.get(c) ?? 0),
      newCategoryCount: newCategories.length,
      missingCategoryCount: missingCategories.length,
    },
  };
}

/** Counted values of a column in a window: non-missing plus missing. */
export function rows(counters: Record<string, number> | undefined): number {
  if (!counters) return 0;
  let n = 0;
  for (const [key, value] of Object.entries(counters)) {
    if (key === 'miss' || key.startsWith('c:') || /^s\d+$/.test(key)) n += value;
  }
  return n;
}

export function driftReason(column: ColumnDrift): string {
  const score = column.score === null ? 'no data' : fmt(column.score);
  const relation = column.method === 'ks' || column.method === 'chiSquare' ? '<' : '≥';
  return `${column.name} (${column.method} ${score} ${relation} ${fmt(column.threshold)})`;
}

/**
 * The drift of every feature of the model with a reference profile (`profileOf` by feature name)
 * against the window's counters (`countersOf`), with the model's methods and thresholds, and the
 * missing shares on both sides: the model's drift columns, and a segment's (segments/evaluate.ts).
 */
export function featureDrift(
  model: ModelRecord,
  profileOf: (feature: string) => ReferenceProfile | undefined,
  countersOf: (feature: string) => WindowCounters | undefined,
): { columns: ColumnDrift[]; missing: EvaluationRecord['missing'] } {
  const columns: ColumnDrift[] = [];
  const missing: EvaluationRecord['missing'] = {};
  for (const feature of model.features) {
    const profile = profileOf(feature.name);
    if (!profile) continue;
    const choice = model.thresholds.drift[feature.name];
    const counters = countersOf(feature.name) ?? {};
    const column = withListedCategories(
      evaluateProfile(feature.name, profile, counters, choice ?? {}),
      profile,
      counters,
    );
    columns.push(column);
    missing[feature.name] = {
      reference: column.reference.missingShare,
      current: column.current.missingShare,
      change: column.current.missingShare - column.reference.missingShare,
    };
  }
  return { columns, missing };
}

/**
 * The window's start, moved past the version change when production changed inside the window:
 * to the first bucket that began after it, since the bucket of the change holds both versions.
 * After a promotion the new version is judged on its own data only (an empty window is
 * `insufficient_data`), never on the predictions of the version it replaced.
 */
export function sinceProduction(model: ModelRecord, start: Date, end: Date, resolution: number): Date {
  if (!model.productionSince) return start;
  const since = Math.ceil(Date.parse(model.productionSince) / 1000 / resolution) * resolution * 1000;
  return new Date(Math.min(Math.max(start.getTime(), since), end.getTime()));
}

/**
 * Evaluates a model's window against its baseline (SOP 6.2):
 * 1. read the window's profiles (every bucket and write shard) binned by the baseline in use,
 *    from when the version in production went live ({@link sinceProduction});
 * 2. drift per feature and of the prediction (docs/drift.md, the model's methods and drift share),
 *    and the missing-value shares on both sides;
 * 3. performance from joined actuals and ingested metric points, against the model's thresholds
 *    (absolute bounds and relative drops from the baseline's metrics);
 * 4. the complaint rate from user feedback;
 * 5. the verdict: `insufficient_data` below `minSamples` predictions, else `breach` when the
 *    dataset drifted or a threshold broke (with the reasons in words), else `ok`;
 * and stores the evaluation.
 */
export async function evaluateModel(
  model: ModelRecord,
  options: { end: Date; trigger: 'schedule' | 'manual' },
): Promise<EvaluationRecord> {
  if (model.baselineVersion === undefined) throw new Error(`Model ${model.modelId} has no baseline`);
  const baselineVersion = model.baselineVersion;
  const [profiles, baseline] = await Promise.all([
    referenceProfiles(model.modelId, baselineVersion),
    getBaseline(model.modelId, baselineVersion),
  ]);
  const aligned = alignedWindow(model, options.end, options.trigger === 'schedule' ? 'complete' : 'current');
  const { end, resolution } = aligned;
  const requested = {
    start: sinceProduction(model, aligned.start, end, resolution),
    end,
    resolution,
    notBefore: sinceProduction(model, new Date(0), end, resolution),
  };
  const { window, start, used } = await readExtendedWindow(model, baselineVersion, requested, (w) =>
    rows(w.columns.get(PREDICTION_COLUMN)),
  );
  const samples = rows(window.columns.get(PREDICTION_COLUMN));

  const { columns, missing } = featureDrift(
    model,
    (name) => profiles.get(name),
    (name) => window.columns.get(name),
  );
  const seasonal = await applySeasonalReference(
    model,
    baselineVersion,
    profiles,
    columns,
    { data: window, start, end, resolution },
    (w) => rows(w.columns.get(PREDICTION_COLUMN)),
  );
  const rule = datasetRuleOf(model);
  const verdict = applyDatasetRule(columns, rule);
  const dataset = verdict.dataset;
  const quality = qualityChecks(model.features, profiles, window.columns);
  const predictionProfile = profiles.get(PREDICTION_COLUMN);
  const predictionCounters = window.columns.get(PREDICTION_COLUMN) ?? {};
  const predictionDrift = predictionProfile
    ? withListedCategories(
        evaluateProfile('prediction', predictionProfile, predictionCounters),
        predictionProfile,
        predictionCounters,
      )
    : null;

  const fromActuals = performanceFromActuals(model, window.performance);
  const points: EvaluationRecord['performance']['points'] = {};
  for (const [name, counters] of window.metrics) {
    const count = counters.n ?? 0;
    if (count > 0) points[name] = { count, mean: exactQuotient(readLimbs(counters, 'sum'), count) };
  }
  const values: Record<string, number | null> = { ...fromActuals.metrics };
  for (const [name, point] of Object.entries(points))
    if (!Object.hasOwn(values, name) || values[name] == null) values[name] = point.mean;
  const checks = checkThresholds(model, values, baseline?.metrics ?? {});
  const estimated = estimatedPerformance(model, baseline, window);

  const segmentIndexes =
    segmentPlans(profiles).length > 0 ? await getSegmentIndexes(model.modelId, baselineVersion) : [];
  const segments =
    segmentIndexes.length > 0
      ? evaluateSegments(model, segmentIndexes, profiles, window.columns, baseline?.metrics ?? {})
      : undefined;

  const byCategory: Record<string, number> = {};
  for (const [key, value] of Object.entries(window.feedback)) {
    if (key.startsWith('c:')) byCategory[key.slice(2)] = value;
  }
  const complaintCount = window.feedback.n ?? 0;

  const reasons: string[] = [];
  let status: EvaluationStatus;
  if (samples < model.schedule.minSamples) {
    status = 'insufficient_data';
  } else {
    if (dataset.drifted && rule.rule === 'fdr') reasons.push(fdrReason(verdict.columns, dataset));
    else if (dataset.drifted && rule.rule === 'share') {
      const drifted = columns.filter((c) => c.drifted);
      reasons.push(
        `Data drift in ${dataset.driftedColumns} of ${dataset.columns} features (${fmt(dataset.driftedShare * 100)}% ≥ ${fmt(rule.share * 100)}%): ${drifted.map(driftReason).join(', ')}`,
      );
      if (seasonal?.applied) reasons.push(laggedReason(seasonal, columns));
    }
    reasons.push(...qualityReasons(quality));
    for (const check of checks) if (check.ok === false && check.reason) reasons.push(check.reason);
    reasons.push(...estimatedReasons(estimated));
    reasons.push(...(segments?.reasons ?? []));
    status = reasons.length > 0 ? 'breach' : 'ok';
  }

  const createdAt = new Date();
  const baselineCreatedAt = model.baselineCreatedAt ?? baseline?.createdAt;
  const record: EvaluationRecord = {
    evaluationId: randomUUID(),
    modelId: model.modelId,
    trigger: options.trigger,
    windowStart: start.toISOString(),
    windowEnd: end.toISOString(),
    ...(used ? { window: used } : {}),
    ...(seasonal ? { reference: seasonal } : {}),
    createdAt: createdAt.toISOString(),
    status,
    reasons,
    ...(model.productionVersion ? { productionVersion: model.productionVersion } : {}),
    baselineVersion,
    ...(baselineCreatedAt ? { baselineCreatedAt } : {}),
    // Due for its review (SOP Appendix A): the scheduled run opens a baseline_review incident.
    baselineStale: isBaselineReviewDue({ ...model, baselineCreatedAt }, createdAt),
    samples,
    minSamples: model.schedule.minSamples,
    drift: { columns: verdict.columns, dataset },
    predictionDrift,
    missing,
    ...(quality.length > 0 ? { quality } : {}),
    performance: { fromActuals, points, checks },
    ...(estimated ? { estimatedPerformance: estimated } : {}),
    complaints: {
      count: complaintCount,
      perThousandPredictions: samples > 0 ? (complaintCount / samples) * 1000 : null,
      byCategory,
    },
    ...(segments ? { segments: segments.segments, segmentCounts: segments.counts } : {}),
    versions: servedVersions(window.columns.get(VERSION_COLUMN)),
  };
  await putEvaluation(record);
  return record;
}
