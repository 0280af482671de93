import type { WindowCounters } from '#drift/profile';

/**
 * Served model versions, counted per window: the `@version` column of the prediction deltas
 * holds, per bucket, the predictions of each version that served them (`v:{version}`) and of
 * batches that named none (`none`).
 */
export const VERSION_COLUMN = '@version';
export const NO_VERSION = 'none';
/** Where the versions past {@link MAX_COUNTED_VERSIONS} are counted. */
export const OTHER_VERSIONS = 'other';
/** Distinct versions a window (or a merged delta) counts by name; the rest are `other`. */
export const MAX_COUNTED_VERSIONS = 20;

const PREFIX = 'v:';

/** The counter key of a batch's version. */
export function versionKey(version: string | undefined): string {
  return version === undefined ? NO_VERSION : `${PREFIX}${version}`;
}

/**
 * Bounds a `@version` counter to {@link MAX_COUNTED_VERSIONS} named versions, the most
 * predictions first (ties by name), the rest added to `other`. Totals are kept exactly.
 */
export function boundVersionCounters(counters: WindowCounters): WindowCounters {
  const named = Object.entries(counters)
    .filter(([key]) => key.startsWith(PREFIX))
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
  if (named.length <= MAX_COUNTED_VERSIONS) return counters;
  const bounded: WindowCounters = {};
  for (const [key, value] of Object.entries(counters)) if (!key.startsWith(PREFIX)) bounded[key] = value;
  for (const [key, value] of named.slice(0, MAX_COUNTED_VERSIONS)) bounded[key] = value;
  const rest = named.slice(MAX_COUNTED_VERSIONS).reduce((sum, [, value]) => sum + value, 0);
  bounded[OTHER_VERSIONS] = (bounded[OTHER_VERSIONS] ?? 0) + rest;
  return bounded;
}

/** One served version of a window: `none` for predictions sent without one, `other` past the cap. */
export interface ServedVersion {
  readonly version: string;
  readonly predictions: number;
}

/** A window's `@version` counter as an evaluation shows it: most predictions first. */
export function servedVersions(counters: WindowCounters | undefined): ServedVersion[] {
  const bounded = boundVersionCounters(counters ?? {});
  return Object.entries(bounded)
    .filter(([, predictions]) => predictions > 0)
    .map(([key, predictions]) => ({
      version: key.startsWith(PREFIX) ? key.slice(PREFIX.length) : key,
      predictions,
    }))
    .sort(
      (a, b) => b.predictions - a.predictions || (a.version < b.version ? -1 : a.version > b.version ? 1 : 0),
    );
}

/**
 * The versions a model may serve now without opening an incident: production, and the
 * previous version while the stabilisation period after production last changed runs (a
 * promotion rolling out, or a rollback rolling back). None when production is unset.
 */
export function approvedVersions(
  model: {
    readonly productionVersion?: string;
    readonly previousVersion?: string;
    readonly productionSince?: string;
    readonly governance: { readonly stabilisationSeconds: number };
  },
  now: number,
): string[] {
  if (model.productionVersion === undefined) return [];
  const approved = [model.productionVersion];
  if (
    model.previousVersion !== undefined &&
    model.productionSince !== undefined &&
    now < Date.parse(model.productionSince) + model.governance.stabilisationSeconds * 1000
  ) {
    approved.push(model.previousVersion);
  }
  return approved;
}
