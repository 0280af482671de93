import { HttpError } from '#commons/http';
import type * as z from '#commons/zod';
import type { IssueList } from '../telemetry/records.ts';
import { type Calibration, fitIsotonic, MAX_CALIBRATION_THRESHOLDS } from './calibration.ts';
import { labelOf } from './counters.ts';
import { ESTIMATED_METRICS } from './estimate.ts';

/**
 * What estimated performance asks of a model and of its records (docs/drift.md, "Estimated
 * performance"): a classification model declaring `positiveClass`, predictions carrying `score`
 * (the model's probability of the positive class, in [0, 1]) and baseline records carrying both
 * `score` and `actual`.
 */

interface PositiveClassModel {
  readonly task?: unknown;
  readonly positiveClass?: unknown;
  readonly thresholds?: { readonly estimatedPerformance?: Record<string, unknown> };
}

/** The model refinement: `positiveClass` for classification only; estimated thresholds need it. */
export function checkPositiveClassModel(model: PositiveClassModel, ctx: z.core.$RefinementCtx): void {
  if (model.positiveClass !== undefined && model.task !== 'classification') {
    ctx.addIssue({
      code: 'custom',
      path: ['positiveClass'],
      message: 'only a classification model declares a positive class',
    });
  }
  const estimated = model.thresholds?.estimatedPerformance;
  if (estimated === undefined) return;
  if (model.positiveClass === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['thresholds', 'estimatedPerformance'],
      message: 'declare positiveClass to bound estimated performance',
    });
  }
  for (const metric of Object.keys(estimated)) {
    if (!(ESTIMATED_METRICS as readonly string[]).includes(metric)) {
      ctx.addIssue({
        code: 'custom',
        path: ['thresholds', 'estimatedPerformance', metric],
        message: `not an estimated metric; one of ${ESTIMATED_METRICS.join(', ')}`,
      });
    }
  }
}

const isProbability = (score: unknown): score is number =>
  typeof score === 'number' && Number.isFinite(score) && score >= 0 && score <= 1;

/** Predictions of a model with a positive class each carry a score in [0, 1]. */
export function checkScores(
  model: { readonly positiveClass?: unknown },
  records: readonly { score?: number }[],
  issues: IssueList,
): void {
  if (model.positiveClass === undefined) return;
  records.forEach((record, i) => {
    if (record.score === undefined) {
      issues.add(
        `records[${i}].score`,
        `required: the model's probability of the positive class "${labelOf(model.positiveClass)}", in [0, 1]`,
      );
    } else if (!isProbability(record.score)) {
      issues.add(`records[${i}].score`, 'a probability, in [0, 1]');
    }
  });
}

/** Baseline records of a model with a positive class each carry a score in [0, 1] and an actual. */
export function checkCalibrationRecords(
  model: { readonly positiveClass?: unknown },
  records: readonly { score?: number; actual?: unknown }[],
  issues: IssueList,
): void {
  if (model.positiveClass === undefined) return;
  checkScores(model, records, issues);
  records.forEach((record, i) => {
    if (record.actual === undefined) {
      issues.add(`records[${i}].actual`, 'required: the true class, to calibrate the scores on');
    }
  });
}

/**
 * The calibration of a baseline (calibration.ts), for a model with a positive class; refused
 * with 400 when it needs more than {@link MAX_CALIBRATION_THRESHOLDS} thresholds. Run after
 * {@link checkCalibrationRecords}, before anything is written.
 */
export function fitCalibration(
  model: { readonly positiveClass?: unknown },
  records: readonly { score?: number; actual?: unknown }[],
): Calibration | undefined {
  if (model.positiveClass === undefined) return undefined;
  const positiveClass = labelOf(model.positiveClass);
  const { x, y } = fitIsotonic(
    records.map((r) => r.score as number),
    records.map((r) => (labelOf(r.actual) === positiveClass ? 1 : 0)),
  );
  if (x.length > MAX_CALIBRATION_THRESHOLDS) {
    throw new HttpError(
      400,
      'invalid_request',
      `The calibration of this baseline has ${x.length} thresholds, more than ${MAX_CALIBRATION_THRESHOLDS}; nothing was written`,
      [
        {
          path: 'records',
          message: `scores calibrate to at most ${MAX_CALIBRATION_THRESHOLDS} thresholds: round the scores (three decimals always fit)`,
        },
      ],
    );
  }
  return { positiveClass, x, y, samples: records.length };
}
