import { MAX_LISTED_ISSUES, notReserved, reservedNameIssue } from '#commons/api/request';
import type { ErrorIssue } from '#commons/http';
import { namedMetrics, semverSchema, storableNumber } from '#commons/registry/fields';
import type { ModelRecord } from '#commons/registry/store';
import * as z from '#commons/zod';

/** Most records one ingest request may carry. */
export const MAX_RECORDS = 1000;
/** How far ahead of the server's clock a record's timestamp may be. */
export const MAX_FUTURE_MS = 5 * 60 * 1000;
/** How old a record may be: older windows have been evaluated already. */
export const MAX_AGE_MS = 35 * 86400 * 1000;

const id = z
  .string()
  .check(z.minLength(1), z.maxLength(128), z.regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces'));

/**
 * Longest category (a categorical feature's value) or class label, in characters (UTF-16 code
 * units): a name is a DynamoDB attribute name in counters and a string in profiles and
 * evaluations, and every item holding names is sized from this bound (docs/architecture.md).
 */
export const MAX_CATEGORY_LENGTH = 256;
const category = (min: number) =>
  z
    .string()
    .check(
      z.minLength(min),
      z.maxLength(
        MAX_CATEGORY_LENGTH,
        `at most ${MAX_CATEGORY_LENGTH} characters (a category or class label)`,
      ),
    );

export const featureValueSchema = z.union([z.number(), category(0), z.boolean(), z.null()]);
/** Feature name to value. An object with a catch-all, not z.record: the same JSON Schema, parsed in half the time. */
const featuresSchema = z.catchall(z.object({}), featureValueSchema);
const predictionValueSchema = z.union([z.number(), category(1), z.boolean()]);
const timestampSchema = z.union([
  z.iso.datetime({ offset: true, message: 'an ISO-8601 date-time with a time zone' }),
  z.int().check(z.gte(0), z.describe('epoch milliseconds')),
]);

export const predictionRecordSchema = z.strictObject({
  predictionId: z.optional(id),
  timestamp: z.optional(timestampSchema),
  features: featuresSchema,
  prediction: predictionValueSchema,
  score: z
    .optional(z.number())
    .check(
      z.describe(
        "The model's probability of its positive class, in [0, 1]: required when the model declares positiveClass",
      ),
    ),
});

export const predictionBatchSchema = z.strictObject({
  batchId: z.optional(id),
  /** The model version that served the batch (counted per window; an unapproved one opens an incident). */
  modelVersion: z.optional(semverSchema),
  records: z.array(predictionRecordSchema).check(z.minLength(1)),
});

export const actualsBatchSchema = z.strictObject({
  batchId: z.optional(id),
  records: z.array(z.strictObject({ predictionId: id, actual: predictionValueSchema })).check(z.minLength(1)),
});

export const metricsBatchSchema = z.strictObject({
  batchId: z.optional(id),
  records: z
    .array(
      z.strictObject({
        name: z
          .string()
          .check(
            z.regex(
              /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/,
              'a metric name of letters, digits, "_", ".", ":" or "-"',
            ),
            z.refine(notReserved, reservedNameIssue),
          ),
        value: z.number(),
        timestamp: z.optional(timestampSchema),
      }),
    )
    .check(z.minLength(1)),
});

export const feedbackSchema = z.strictObject({
  /** Makes a retry count once, as a batch id does for the other ingest routes. */
  batchId: z.optional(id),
  category: z
    .string()
    .check(
      z.regex(/^[a-z][a-z0-9_-]{0,31}$/, 'a lower-case word such as complaint or query'),
      z.refine(notReserved, reservedNameIssue),
    ),
  message: z.string().check(z.trim(), z.minLength(1), z.maxLength(5000)),
  predictionId: z.optional(id),
});

export const baselineSchema = z.strictObject({
  records: z
    .array(
      z.strictObject({
        features: featuresSchema,
        prediction: predictionValueSchema,
        score: z
          .optional(z.number())
          .check(
            z.describe(
              "The model's probability of its positive class, in [0, 1]: required with positiveClass",
            ),
          ),
        actual: z
          .optional(predictionValueSchema)
          .check(z.describe('The true class: required with positiveClass, to calibrate the scores')),
      }),
    )
    .check(z.minLength(1), z.maxLength(200_000)),
  metrics: z._default(namedMetrics(storableNumber()), {}),
});

export type PredictionRecord = z.output<typeof predictionRecordSchema>;

/** Epoch milliseconds of a record's timestamp, or `now` when it has none. */
export function timestampMs(timestamp: string | number | undefined, now: number): number {
  if (timestamp === undefined) return now;
  return typeof timestamp === 'number' ? timestamp : Date.parse(timestamp);
}

/** Collects issues and stops listing them after MAX_ISSUES. */
export class IssueList {
  readonly issues: ErrorIssue[] = [];
  count = 0;
  add(path: string, message: string): void {
    this.count++;
    if (this.issues.length < MAX_LISTED_ISSUES) this.issues.push({ path, message });
  }
}

/** Refuses a timestamp more than five minutes ahead of `now` or older than 35 days. */
export function checkTimestamp(
  path: string,
  timestamp: string | number | undefined,
  now: number,
  issues: IssueList,
): void {
  if (timestamp === undefined) return;
  const at = timestampMs(timestamp, now);
  if (at > now + MAX_FUTURE_MS) issues.add(path, 'is more than 5 minutes in the future');
  else if (at < now - MAX_AGE_MS) issues.add(path, 'is older than 35 days');
}

/**
 * Refuses a prediction id that records of one batch share, naming both records: the first one
 * (once, with its first repetition) and each repetition.
 */
export function checkDistinctPredictionIds(
  records: readonly { predictionId?: string }[],
  issues: IssueList,
): void {
  const first = new Map<string, { index: number; reported: boolean }>();
  records.forEach((record, i) => {
    if (record.predictionId === undefined) return;
    const earlier = first.get(record.predictionId);
    if (earlier === undefined) {
      first.set(record.predictionId, { index: i, reported: false });
      return;
    }
    if (!earlier.reported) {
      earlier.reported = true;
      issues.add(
        `records[${earlier.index}].predictionId`,
        `repeated by records[${i}].predictionId: a prediction id names one record of a batch`,
      );
    }
    issues.add(
      `records[${i}].predictionId`,
      `repeats records[${earlier.index}].predictionId: a prediction id names one record of a batch`,
    );
  });
}

/**
 * Checks records against the model's feature schema: every feature known, numerical features
 * numbers (or null for missing), the prediction of the task's type, timestamps neither more
 * than five minutes ahead nor older than 35 days, and prediction ids distinct.
 */
export function checkRecords(
  model: Pick<ModelRecord, 'features' | 'task'>,
  records: readonly {
    predictionId?: string;
    features: Record<string, unknown>;
    prediction: unknown;
    timestamp?: string | number;
  }[],
  now: number,
  issues: IssueList,
): void {
  const types = new Map(model.features.map((f) => [f.name, f.type]));
  const declared = model.features.map((f) => f.name).join(', ');
  records.forEach((record, i) => {
    const features = record.features;
    for (const name in features) {
      const value = features[name];
      const type = types.get(name);
      if (!type)
        issues.add(`records[${i}].features.${name}`, `unknown feature; the model declares ${declared}`);
      else if (type === 'numerical' && value !== null && typeof value !== 'number') {
        issues.add(
          `records[${i}].features.${name}`,
          `expected a number (or null when missing), got ${typeof value}`,
        );
      }
    }
    if (model.task === 'regression' && typeof record.prediction !== 'number') {
      issues.add(`records[${i}].prediction`, 'a regression model predicts a number');
    }
    checkTimestamp(`records[${i}].timestamp`, record.timestamp, now, issues);
  });
  checkDistinctPredictionIds(records, issues);
}
