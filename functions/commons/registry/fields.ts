import { MODEL_ID_MESSAGE, MODEL_ID_PATTERN } from '#commons/api/model-id';
import { notReserved, reservedNameIssue } from '#commons/api/request';
import * as z from '#commons/zod';

/**
 * The registry's field types that the ingest path validates too. They live apart from the model
 * schemas (schema.ts, which re-exports them) so that the ingest and authorizer bundles do not
 * carry what only registration needs, such as the cron parser.
 */

/**
 * A number kept as a DynamoDB number: 0 or a magnitude from 1e-130 (DynamoDB's smallest) up to
 * 2^53 − 1 (the largest the SDK writes as given). Anything else is refused at the edge with 400
 * rather than failing the write.
 */
export const storableNumber = () =>
  z
    .number()
    .check(
      z.refine(
        (x) => x === 0 || (Math.abs(x) >= 1e-130 && Math.abs(x) <= Number.MAX_SAFE_INTEGER),
        'a number that is 0 or between 1e-130 and 9007199254740991 in magnitude',
      ),
    );

const identifier = z.string().check(z.regex(MODEL_ID_PATTERN, MODEL_ID_MESSAGE));

export const modelIdSchema = identifier;

/** A metric's name, as a key of thresholds and of reported metrics. */
export const metricNameSchema = z
  .string()
  .check(z.minLength(1), z.maxLength(64), z.refine(notReserved, reservedNameIssue));

/** Most named metrics a record takes (thresholds, a version's or a baseline's metrics). */
export const MAX_NAMED_METRICS = 50;

/** A record of metric names to values, at most {@link MAX_NAMED_METRICS} of them. */
export function namedMetrics<T extends z.core.SomeType>(value: T) {
  return z.record(metricNameSchema, value).check(
    z.refine((record) => Object.keys(record).length <= MAX_NAMED_METRICS, {
      message: `at most ${MAX_NAMED_METRICS} metrics`,
    }),
  );
}

const semver = z
  .string()
  .check(
    z.maxLength(128),
    z.regex(
      /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/,
      'a semantic version such as 1.4.0',
    ),
  );
export const semverSchema = semver;

/** Named metrics of a model version (`accuracy`, `auc`...), each a storable number. */
export const metricsSchema = namedMetrics(storableNumber());

// Durations are read where nothing is validated (the scheduled evaluation): a module without zod.
export { durationSeconds } from './duration.ts';
