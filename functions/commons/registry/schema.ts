import * as z from 'zod';
import { KEY_SCOPES } from '#commons/api/principal';
import { notReserved, reservedNameIssue } from '#commons/api/request';
import { DRIFT_METHODS } from '#drift/methods';
import type { DriftMethod } from '#drift/types';
import { MAX_WRITE_SHARDS } from './capacity.ts';

/** Most segment features a model may declare. */
export const MAX_SEGMENT_FEATURES = 3;

/**
 * A number kept as a DynamoDB number: 0 or a magnitude from 1e-130 (DynamoDB's smallest) up to
 * 2^53 − 1 (the largest the SDK writes as given). Anything else is refused at the edge with 400
 * rather than failing the write.
 */
export const storableNumber = () =>
  z
    .number()
    .refine(
      (x) => x === 0 || (Math.abs(x) >= 1e-130 && Math.abs(x) <= Number.MAX_SAFE_INTEGER),
      'a number that is 0 or between 1e-130 and 9007199254740991 in magnitude',
    );

/**
 * The model registry's request schemas. They validate at the edge, name the field at fault in
 * every error, and are the source of the OpenAPI document: nothing about these shapes is
 * written twice.
 */

const identifier = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/,
    'letters, digits, "_", "." and "-", at most 128, starting with a letter or digit',
  );

export const modelIdSchema = identifier;

const featureName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/,
    'a name of letters, digits, "_", "." and "-", at most 64, not starting with a digit',
  )
  .refine(notReserved, reservedNameIssue);

/** A metric's name, as a key of thresholds and of reported metrics. */
export const metricNameSchema = z.string().min(1).max(64).refine(notReserved, reservedNameIssue);

export const durationSchema = z.iso.duration({ message: 'an ISO-8601 duration such as PT1H or P1D' });

/** Drift methods of docs/drift.md. */
export const driftMethodSchema = z.enum(DRIFT_METHODS as [DriftMethod, ...DriftMethod[]]);

export const featureSchema = z.strictObject({
  name: featureName,
  type: z.enum(['numerical', 'categorical']),
});

const emails = z.array(z.email().max(254)).max(50);

/** Most named metrics a record takes (thresholds, a version's or a baseline's metrics). */
export const MAX_NAMED_METRICS = 50;

/** A record of metric names to values, at most {@link MAX_NAMED_METRICS} of them. */
export function namedMetrics<T extends z.ZodType>(value: T) {
  return z
    .record(metricNameSchema, value)
    .refine((record) => Object.keys(record).length <= MAX_NAMED_METRICS, {
      message: `at most ${MAX_NAMED_METRICS} metrics`,
    });
}

/** People by SOP role; every human step of the workflow emails the role's list. */
export const approversSchema = z.strictObject({
  dataScienceLead: emails.min(1),
  devTeam: emails.min(1),
  qa: emails.min(1),
  irbLiaison: emails.min(1),
  legal: emails.min(1),
  mlops: emails.min(1),
  operations: emails.min(1),
  support: emails.min(1),
});

export const performanceBoundSchema = z
  .strictObject({
    min: storableNumber().optional(),
    max: storableNumber().optional(),
    /** Largest accepted drop relative to the baseline's value of the metric, e.g. 0.05 for 5 %. */
    maxRelativeDrop: storableNumber().min(0).max(1).optional(),
  })
  .refine((b) => b.min !== undefined || b.max !== undefined || b.maxRelativeDrop !== undefined, {
    message: 'give at least one of min, max, maxRelativeDrop',
  });

export const modelInputSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    owner: z.string().trim().min(1).max(200),
    task: z.enum(['classification', 'regression']),
    features: z.array(featureSchema).min(1).max(100),
    schedule: z
      .strictObject({
        every: durationSchema.default('P1D'),
        window: durationSchema.default('P1D'),
        minSamples: z.int().min(1).max(10_000_000).default(100),
      })
      .prefault({}),
    thresholds: z
      .strictObject({
        driftShare: storableNumber().gt(0).max(1).default(0.5),
        bins: z.int().min(2).max(50).default(10),
        drift: z
          .record(
            featureName,
            z.strictObject({ method: driftMethodSchema, threshold: storableNumber().optional() }),
          )
          .default({}),
        performance: namedMetrics(performanceBoundSchema).default({}),
        consecutiveBreaches: z.int().min(1).max(100).default(1),
      })
      .prefault({}),
    approvers: approversSchema,
    governance: z
      .strictObject({
        approvalTimeoutHours: storableNumber().gt(0).max(720).default(72),
        stabilisationSeconds: z
          .int()
          .min(0)
          .max(30 * 24 * 3600)
          .default(3600),
        maxRetrainingCycles: z.int().min(1).max(20).default(3),
      })
      .prefault({}),
    groundTruth: z.strictObject({ lookbackDays: z.int().min(1).max(90).default(14) }).optional(),
    /**
     * Write shards per window profile: each spreads a bucket's deltas over one more partition.
     * Vigil raises it to what `expectedLoad` needs (capacity.ts, docs/scale.md).
     */
    writeShards: z.int().min(1).max(MAX_WRITE_SHARDS).default(1),
    /**
     * Categorical features whose values slice the monitoring: each of the baseline's 50 most
     * frequent values (the rest `__other__`) gets its own reference profiles and window counters
     * (docs/drift.md, Segments).
     */
    segments: z
      .array(featureName)
      .max(MAX_SEGMENT_FEATURES)
      .optional()
      .describe(
        'Up to 3 categorical features whose values slice drift and performance: the 50 most frequent values of each in the baseline, the rest __other__',
      ),
    /** The prediction rate the model is expected to sustain, for sizing its write shards. */
    expectedLoad: z
      .strictObject({
        predictionsPerSecond: z.number().gt(0).max(10_000_000),
        recordsPerBatch: z.int().min(1).max(1000).default(500),
      })
      .optional(),
  })
  .superRefine((model, ctx) => {
    // zod may run this refinement on a partly invalid model too: read defensively.
    const seen = new Set<string>();
    (Array.isArray(model.features) ? model.features : []).forEach((feature, i) => {
      if (seen.has(feature?.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['features', i, 'name'],
          message: `duplicate feature "${feature.name}"`,
        });
      }
      seen.add(feature?.name);
    });
    for (const name of Object.keys(model.thresholds?.drift ?? {})) {
      if (!seen.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['thresholds', 'drift', name],
          message: `unknown feature "${name}"; declare it in features`,
        });
      }
    }
    checkSegments(model, ctx);
    for (const field of ['window', 'every'] as const) {
      const seconds = durationSecondsOrNaN(model.schedule?.[field]);
      if (seconds < 60)
        ctx.addIssue({ code: 'custom', path: ['schedule', field], message: 'must be at least one minute' });
    }
  });

export type ModelInput = z.output<typeof modelInputSchema>;

/** Refuses a segment feature that is not a declared categorical feature, or named twice. */
function checkSegments(
  model: { features?: unknown; segments?: unknown },
  ctx: { addIssue(issue: { code: 'custom'; path: (string | number)[]; message: string }): void },
): void {
  if (!Array.isArray(model.segments)) return;
  const types = new Map(
    (Array.isArray(model.features) ? model.features : []).map((f: { name?: string; type?: string }) => [
      f?.name,
      f?.type,
    ]),
  );
  const seen = new Set<string>();
  model.segments.forEach((name: string, i: number) => {
    const type = types.get(name);
    const issue = (message: string) => ctx.addIssue({ code: 'custom', path: ['segments', i], message });
    if (type === undefined) issue(`unknown feature "${name}"; declare it in features`);
    else if (type !== 'categorical') issue(`segment feature "${name}" must be categorical`);
    else if (seen.has(name)) issue(`duplicate segment feature "${name}"`);
    seen.add(name);
  });
}

const semver = z
  .string()
  .max(128)
  .regex(
    /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/,
    'a semantic version such as 1.4.0',
  );
export const semverSchema = semver;

export const metricsSchema = namedMetrics(storableNumber());

export const versionInputSchema = z.strictObject({
  version: semver,
  artifactUri: z.string().min(1).max(2048),
  metrics: metricsSchema.default({}),
  notes: z.string().max(10_000).default(''),
});

export type VersionInput = z.output<typeof versionInputSchema>;

function durationSecondsOrNaN(duration: unknown): number {
  try {
    return typeof duration === 'string' ? durationSeconds(duration) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Seconds in an ISO-8601 duration (years as 365 days and months as 30, as schedules need no calendar). */
export function durationSeconds(duration: string): number {
  const match =
    /^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(
      duration,
    );
  if (!match) throw new Error(`Not an ISO-8601 duration: ${duration}`);
  const [, y, mo, w, d, h, mi, s] = match.map((part) => Number(part ?? 0));
  return (
    (y ?? 0) * 365 * 86400 +
    (mo ?? 0) * 30 * 86400 +
    (w ?? 0) * 7 * 86400 +
    (d ?? 0) * 86400 +
    (h ?? 0) * 3600 +
    (mi ?? 0) * 60 +
    (s ?? 0)
  );
}

/** `POST /v1/models/{id}/keys`: what the key may do (`ingest` when the body is absent). */
export const keyInputSchema = z.strictObject({
  scopes: z
    .array(z.enum(KEY_SCOPES))
    .min(1)
    .default(['ingest'])
    .transform((scopes) => [...new Set(scopes)]),
});

/**
 * Models per page at most: a model record is 130 KB at the very worst ("Item sizes"), so 25 of
 * them stay below Lambda's 6 MB response.
 */
const MAX_MODELS_PER_PAGE = 25;

/** `GET /v1/models`: a page of the registered models, by id. */
export const modelListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_MODELS_PER_PAGE).default(MAX_MODELS_PER_PAGE),
  nextToken: z.string().max(4096).optional(),
});
