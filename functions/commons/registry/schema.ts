import { agentGovernanceFields } from '#commons/agents/schema';
import { notReserved, reservedNameIssue } from '#commons/api/request';
import { checkPositiveClassModel } from '#commons/cbpe/records';
import * as z from '#commons/zod';
import { DRIFT_METHODS } from '#drift/methods';
import type { DriftMethod } from '#drift/types';
import { cronSchema, timezoneSchema } from '../evaluation/cron-schema.ts';
import { MAX_ALLOWED_LENGTH, MAX_ALLOWED_VALUES, qualityRuleIssues } from '../quality/rules.ts';
import { MAX_WRITE_SHARDS } from './capacity.ts';
import {
  durationSeconds,
  MAX_NAMED_METRICS,
  metricNameSchema,
  metricsSchema,
  modelIdSchema,
  namedMetrics,
  semverSchema,
  storableNumber,
} from './fields.ts';
import { seasonalScheduleIssues } from './seasonal-rules.ts';

/** Most segment features a model may declare. */
export const MAX_SEGMENT_FEATURES = 3;

/**
 * The model registry's request schemas. They validate at the edge, name the field at fault in
 * every error, and are the source of the OpenAPI document: nothing about these shapes is
 * written twice.
 */

const featureName = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/,
      'a name of letters, digits, "_", "." and "-", at most 64, not starting with a digit',
    ),
    z.refine(notReserved, reservedNameIssue),
  );

export const durationSchema = z.iso.duration({ message: 'an ISO-8601 duration such as PT1H or P1D' });

/** Drift methods of docs/drift.md. */
export const driftMethodSchema = z.enum(DRIFT_METHODS as [DriftMethod, ...DriftMethod[]]);

/** A share in [0, 1] (data-quality limits). */
const share = () => storableNumber().check(z.gte(0), z.lte(1));

/** A feature's data-quality rule (quality/rules.ts, docs/drift.md "Data-quality rules"). */
export const qualityRuleSchema = z
  .strictObject({
    min: z.optional(storableNumber()).check(z.describe('numerical: a value below min is out of range')),
    max: z.optional(storableNumber()).check(z.describe('numerical: a value above max is out of range')),
    allowed: z
      .optional(
        z
          .array(z.string().check(z.maxLength(MAX_ALLOWED_LENGTH)))
          .check(z.minLength(1), z.maxLength(MAX_ALLOWED_VALUES)),
      )
      .check(z.describe('categorical: the accepted values, compared as text')),
    maxMissingShare: z.optional(share()).check(z.describe('largest share of missing values')),
    maxOutOfRangeShare: z
      .optional(share())
      .check(
        z.describe(
          'largest share of values out of [min, max] or not allowed (default 0 when min, max or allowed is given)',
        ),
      ),
    maxNewCategoryShare: z
      .optional(share())
      .check(z.describe("categorical: largest share of values in categories the baseline doesn't have")),
  })
  .check(z.refine((rule) => Object.keys(rule).length > 0, { message: 'give at least one rule' }));

export const featureSchema = z.strictObject({
  name: featureName,
  type: z.enum(['numerical', 'categorical']),
  quality: z.optional(qualityRuleSchema),
});

const emails = z.array(z.email().check(z.maxLength(254))).check(z.maxLength(50));

/** People by SOP role; every human step of the workflow emails the role's list. */
export const approversSchema = z.strictObject({
  dataScienceLead: emails.check(z.minLength(1)),
  devTeam: emails.check(z.minLength(1)),
  qa: emails.check(z.minLength(1)),
  irbLiaison: emails.check(z.minLength(1)),
  legal: emails.check(z.minLength(1)),
  mlops: emails.check(z.minLength(1)),
  operations: emails.check(z.minLength(1)),
  support: emails.check(z.minLength(1)),
});

export const performanceBoundSchema = z
  .strictObject({
    min: z.optional(storableNumber()),
    max: z.optional(storableNumber()),
    /** Largest accepted drop relative to the baseline's value of the metric, e.g. 0.05 for 5 %. */
    maxRelativeDrop: z.optional(storableNumber().check(z.gte(0), z.lte(1))),
  })
  .check(
    z.refine((b) => b.min !== undefined || b.max !== undefined || b.maxRelativeDrop !== undefined, {
      message: 'give at least one of min, max, maxRelativeDrop',
    }),
  );

const scheduleFields = z.strictObject({
  every: z
    .optional(durationSchema)
    .check(z.meta({ description: 'Evaluate every so long; P1D unless cron is given' })),
  // Checked asynchronously (croner loads on first use): a model parses with safeParseAsync.
  cron: z.optional(cronSchema).check(
    z.meta({
      description: 'Evaluate at these times instead of every, e.g. "0 6 * * 1-5" (five fields)',
    }),
  ),
  timezone: z.optional(timezoneSchema).check(z.meta({ description: 'IANA time zone of cron (default UTC)' })),
  window: z._default(durationSchema, 'P1D'),
  minSamples: z._default(z.int().check(z.gte(1), z.lte(10_000_000)), 100),
  extendUntilMinSamples: z.optional(durationSchema).check(
    z.meta({
      description: 'A window below minSamples grows back up to this span (at least the window)',
    }),
  ),
});

/** A share-like threshold in (0, 1]. */
const positiveShare = () => storableNumber().check(z.gt(0), z.lte(1));

export const modelInputSchema = z
  .strictObject({
    name: z.string().check(z.trim(), z.minLength(1), z.maxLength(200)),
    owner: z.string().check(z.trim(), z.minLength(1), z.maxLength(200)),
    task: z.enum(['classification', 'regression']),
    positiveClass: z
      .optional(z.union([z.string().check(z.minLength(1), z.maxLength(256)), z.number(), z.boolean()]))
      .check(
        z.describe(
          'Binary classification: the class whose probability predictions carry as score; compared as a string',
        ),
      ),
    features: z.array(featureSchema).check(z.minLength(1), z.maxLength(100)),
    schedule: z.prefault(
      z.pipe(
        scheduleFields,
        z.transform((s: z.output<typeof scheduleFields>) =>
          s.cron === undefined && s.every === undefined ? { ...s, every: 'P1D' } : s,
        ),
      ),
      {},
    ),
    /** Compare each window also with the window one `lag` earlier (docs/drift.md, "Seasonal reference"). */
    reference: z
      .optional(
        z.strictObject({ lag: durationSchema, mode: z._default(z.enum(['both', 'seasonal']), 'both') }),
      )
      .check(
        z.meta({
          description:
            'Compare each window also with the window one lag earlier: a feature drifts against both (mode both) or against the lagged window (seasonal)',
        }),
      ),
    thresholds: z.prefault(
      z.strictObject({
        driftShare: z._default(positiveShare(), 0.5),
        /** The dataset drift rule; when given, it takes precedence over `driftShare` (fdr.ts). */
        datasetDrift: z
          .optional(
            z.discriminatedUnion('rule', [
              z.strictObject({ rule: z.literal('share'), share: z._default(positiveShare(), 0.5) }),
              z.strictObject({ rule: z.literal('fdr'), alpha: z._default(positiveShare(), 0.05) }),
            ]),
          )
          .check(
            z.describe(
              "share: dataset drift when the share of drifted features is at least share; fdr: Benjamini–Hochberg over the features' KS and chi-square p-values, dataset drift when any is rejected at false discovery rate alpha",
            ),
          ),
        bins: z._default(z.int().check(z.gte(2), z.lte(50)), 10),
        drift: z._default(
          z.record(
            featureName,
            z.strictObject({ method: driftMethodSchema, threshold: z.optional(storableNumber()) }),
          ),
          {},
        ),
        performance: z._default(namedMetrics(performanceBoundSchema), {}),
        /** Bounds on the estimated performance (accuracy, precision, recall, f1); needs positiveClass. */
        estimatedPerformance: z
          .optional(namedMetrics(performanceBoundSchema))
          .check(
            z.describe('Bounds on accuracy, precision, recall or f1 as estimated before the actuals arrive'),
          ),
        consecutiveBreaches: z._default(z.int().check(z.gte(1), z.lte(100)), 1),
      }),
      {},
    ),
    approvers: approversSchema,
    governance: z.prefault(
      z.strictObject({
        approvalTimeoutHours: z._default(storableNumber().check(z.gt(0), z.lte(720)), 72),
        stabilisationSeconds: z._default(z.int().check(z.gte(0), z.lte(30 * 24 * 3600)), 3600),
        maxRetrainingCycles: z._default(z.int().check(z.gte(1), z.lte(20)), 3),
        ...agentGovernanceFields,
        /** Days after the baseline was fitted or last reviewed until it is reviewed again. */
        baselineReviewDays: z._default(z.int().check(z.gte(1), z.lte(3650)), 90),
      }),
      {},
    ),
    groundTruth: z.optional(
      z.strictObject({ lookbackDays: z._default(z.int().check(z.gte(1), z.lte(90)), 14) }),
    ),
    /**
     * Write shards per window profile: each spreads a bucket's deltas over one more partition.
     * Vigil raises it to what `expectedLoad` needs (capacity.ts, docs/scale.md).
     */
    writeShards: z._default(z.int().check(z.gte(1), z.lte(MAX_WRITE_SHARDS)), 1),
    /**
     * Categorical features whose values slice the monitoring: each of the baseline's 50 most
     * frequent values (the rest `__other__`) gets its own reference profiles and window counters
     * (docs/drift.md, Segments).
     */
    segments: z
      .optional(z.array(featureName).check(z.maxLength(MAX_SEGMENT_FEATURES)))
      .check(
        z.describe(
          'Up to 3 categorical features whose values slice drift and performance: the 50 most frequent values of each in the baseline, the rest __other__',
        ),
      ),
    /** The prediction rate the model is expected to sustain, for sizing its write shards. */
    expectedLoad: z.optional(
      z.strictObject({
        predictionsPerSecond: z.number().check(z.gt(0), z.lte(10_000_000)),
        recordsPerBatch: z._default(z.int().check(z.gte(1), z.lte(1000)), 500),
      }),
    ),
  })
  .check(
    z.superRefine((model, ctx) => {
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
      for (const issue of qualityRuleIssues(Array.isArray(model.features) ? model.features : [])) {
        ctx.addIssue({ code: 'custom', ...issue });
      }
      for (const name of Object.keys(model.thresholds?.drift ?? {})) {
        if (!seen.has(name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['thresholds', 'drift', name],
            message: `unknown feature "${name}"; declare it in features`,
          });
        }
      }
      checkPositiveClassModel(model, ctx);
      checkSegments(model, ctx);
      for (const field of ['window', 'every'] as const) {
        if (field === 'every' && model.schedule?.every === undefined) continue;
        const seconds = durationSecondsOrNaN(model.schedule?.[field]);
        if (seconds < 60)
          ctx.addIssue({ code: 'custom', path: ['schedule', field], message: 'must be at least one minute' });
      }
      for (const issue of seasonalScheduleIssues(model.schedule, model.reference, durationSecondsOrNaN))
        ctx.addIssue({ code: 'custom', ...issue });
      // The seasonal reference combines each feature's verdicts against two references; the fdr
      // rule decides on adjusted p-values of one comparison, so the two do not combine (yet).
      if (model.reference !== undefined && model.thresholds?.datasetDrift?.rule === 'fdr') {
        ctx.addIssue({
          code: 'custom',
          path: ['reference'],
          message:
            'a seasonal reference works with the share rule of dataset drift; thresholds.datasetDrift.rule is fdr',
        });
      }
    }),
  );

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

function durationSecondsOrNaN(duration: unknown): number {
  try {
    return typeof duration === 'string' ? durationSeconds(duration) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export {
  keyInputSchema,
  modelListQuerySchema,
  type VersionInput,
  versionInputSchema,
} from './route-schemas.ts';
export {
  durationSeconds,
  MAX_NAMED_METRICS,
  metricNameSchema,
  metricsSchema,
  modelIdSchema,
  namedMetrics,
  semverSchema,
  storableNumber,
};
