import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '#clients/dynamodb';
import { requireEnv } from '#commons/config';
import { nextFire } from '#commons/evaluation/cron';
import { notifier, uniqueRecipients } from '#commons/notifier/index';
import { durationSeconds } from '#commons/registry/fields';
import { getModel, type ModelRecord } from '#commons/registry/store';
import { approvedVersions, NO_VERSION, type ServedVersion } from '#commons/telemetry/versions';
import { StepFailedError } from '#commons/workflow/errors';
import { TaskNotWaitingError, workflow } from '#commons/workflow/index';
import { logger } from '#powertools/logger';
import { readableError } from '#powertools/readable-error';
import { getEvaluation } from './evaluations.ts';
import { incidentKeys as keys } from './keys.ts';
import { incidentSummary, modelLabel, signature } from './messages.ts';
import { getIncident } from './store.ts';
import { recordStep } from './track.ts';
import { openUnapprovedIncident } from './unapproved.ts';

const table = requireEnv('GOVERNANCE_TABLE');

/**
 * The `revert` path of an `unapproved_version` incident: MLOps and Operations are asked to
 * restore the production version, and an evaluation (scheduled, or asked for on demand) resumes
 * the step once a window that began after the ask proves it ({@link revertProof}); the workflow
 * then closes the incident as `reverted`.
 */

/** What the revert step keeps while production is being restored; the token never leaves the server. */
export interface RevertTask {
  readonly taskToken: string;
  /** When the revert was first asked: the window that proves it starts after this. */
  readonly requestedAt: string;
  readonly productionVersion: string;
  /** When the step, as asked now, reminds (its timeout): a whole window fits before it. */
  readonly expiresAt?: string;
}

async function getRevertTask(incidentId: string): Promise<RevertTask | undefined> {
  const { Item } = await dynamoDb.send(
    new GetCommand({ TableName: table, Key: keys.revertTask(incidentId), ConsistentRead: true }),
  );
  return Item
    ? {
        taskToken: Item.taskToken as string,
        requestedAt: Item.requestedAt as string,
        productionVersion: Item.productionVersion as string,
        ...(typeof Item.expiresAt === 'string' ? { expiresAt: Item.expiresAt } : {}),
      }
    : undefined;
}

/** The longest a revert step waits before its reminder: a year of Step Functions holds the three. */
export const MAX_REVERT_WAIT_SECONDS = 120 * 86_400;

/**
 * How long the revert step waits before it reminds (and, after its reminders, fails): at least
 * the model's answer time, and long enough for a scheduled evaluation to cover a whole window
 * that began after the ask: the window, then up to one schedule period (`every`, or the longest
 * gap between the next fires of `cron`) until the run, and a minute of the scheduler's tick.
 * Without it a window longer than the answer time could never prove a revert in time.
 */
export async function revertTimeoutSeconds(
  model: ModelRecord,
  approvalTimeoutSeconds: number,
  now: Date,
): Promise<number> {
  const { schedule } = model;
  let period = durationSeconds(schedule.every ?? 'P1D');
  if (schedule.cron !== undefined) {
    period = 0;
    let previous = await nextFire(schedule, now);
    for (let fire = 0; fire < 50 && period < MAX_REVERT_WAIT_SECONDS; fire++) {
      const next = await nextFire(schedule, previous);
      period = Math.max(period, (next.getTime() - previous.getTime()) / 1000);
      previous = next;
    }
  }
  const proof = durationSeconds(schedule.window) + period + 60;
  return Math.ceil(Math.min(MAX_REVERT_WAIT_SECONDS, Math.max(approvalTimeoutSeconds, proof)));
}

/** Deletes the revert step's task token when the incident ends: no token outlives its step. */
export async function deleteRevertTask(incidentId: string): Promise<void> {
  await dynamoDb.send(new DeleteCommand({ TableName: table, Key: keys.revertTask(incidentId) }));
}

/**
 * The revert step (`revert` decided): keeps the task token, and asks MLOps and Operations to
 * restore the production version, with the Data Science Lead in copy. A reminder (the step
 * timed out) asks again with a new token, keeping the time the revert was first asked. The
 * same token seen again (an invocation delivered twice) sends nothing again.
 */
export async function awaitRevert(
  incidentId: string,
  taskToken: string,
  reminder: number,
  timeoutSeconds: number,
): Promise<void> {
  const incident = await getIncident(incidentId);
  if (incident?.status !== 'open') throw new StepFailedError(`Incident ${incidentId} is not open`);
  const model = await getModel(incident.modelId);
  if (!model) throw new StepFailedError(`Model ${incident.modelId} is not registered`);
  const previous = await getRevertTask(incidentId);
  if (previous?.taskToken === taskToken) return;
  const now = Date.now();
  const task: RevertTask = {
    taskToken,
    requestedAt: previous?.requestedAt ?? new Date(now).toISOString(),
    productionVersion: model.productionVersion ?? incident.version,
    expiresAt: new Date(now + timeoutSeconds * 1000).toISOString(),
  };
  await dynamoDb.send(
    new PutCommand({ TableName: table, Item: { ...keys.revertTask(incidentId), incidentId, ...task } }),
  );
  if (!previous) {
    await recordStep(incidentId, {
      step: 'revert',
      entered: true,
      details: { productionVersion: task.productionVersion },
    });
  }
  const served = String(incident.details?.servedVersion ?? 'unknown');
  await notifier().send({
    to: uniqueRecipients(
      (['mlops', 'operations', 'dataScienceLead'] as const).flatMap((role) => model.approvers[role]),
    ),
    subject: `[Vigil] ${reminder > 0 ? `Reminder ${reminder}: ` : ''}Restore production version ${task.productionVersion} of ${modelLabel(model)}`,
    text: [
      'Hello MLOps and Operations,',
      '',
      `${modelLabel(model)} served predictions with version ${served}, which is not approved. The Data Science Lead decided to revert:`,
      `please make every endpoint serve the production version ${task.productionVersion} again.`,
      '',
      `Vigil closes incident ${incidentId} by itself once a whole evaluation window (${model.schedule.window}) starting after ${task.requestedAt} was served by version ${task.productionVersion} alone, as the predictions' modelVersion shows.`,
      `An evaluation asked for sooner (POST /v1/models/${model.modelId}/evaluations) closes it too, once the window in progress began after ${task.requestedAt} and was served by version ${task.productionVersion} alone so far.`,
      `Predictions sent without a modelVersion are counted on the record but neither prove nor block the revert: the window needs predictions of version ${task.productionVersion}, and none of another version.`,
      `Vigil waits until ${task.expiresAt} before it reminds you; unproven after its reminders, the incident fails.`,
      ...(reminder > 0 ? ['', `No such window yet: this is reminder ${reminder}.`] : []),
      '',
      incidentSummary(incident, model),
      '',
      signature,
    ].join('\n'),
  });
}

/**
 * After an evaluation, scheduled or asked for on demand: {@link settleRevert}, a failure of
 * which is logged and left to the next evaluation rather than failing this one.
 */
export async function settleRevertAfter(
  model: ModelRecord,
  evaluation: Parameters<typeof settleRevert>[1],
): Promise<boolean> {
  try {
    return await settleRevert(model, evaluation);
  } catch (error) {
    logger.warn('checking a revert failed', { modelId: model.modelId, error: await readableError(error) });
    return false;
  }
}

/** What the served versions of a window say about a revert. */
export interface RevertProof {
  /** The window proves production restored. */
  readonly restored: boolean;
  /** Predictions that named the production version. */
  readonly productionPredictions: number;
  /** Predictions sent without a `modelVersion`: reported, neither proof nor obstacle. */
  readonly unversionedPredictions: number;
}

/**
 * Whether a window's served versions prove a revert: at least one prediction named the
 * production version, and every prediction that named a version named an approved one
 * (production, or the previous version while its stabilisation runs; versions counted past the
 * cap as `other` are unknown, so they block). Predictions sent without a version prove nothing
 * and block nothing: a host that sends no `modelVersion` cannot hold a revert open forever.
 */
export function revertProof(
  versions: readonly ServedVersion[],
  production: string | undefined,
  approved: readonly string[],
): RevertProof {
  const count = (version: string) => versions.find((served) => served.version === version)?.predictions ?? 0;
  const productionPredictions = production === undefined ? 0 : count(production);
  const named = versions.filter((served) => served.version !== NO_VERSION);
  return {
    restored:
      productionPredictions > 0 &&
      named.every((served) => served.predictions === 0 || approved.includes(served.version)),
    productionPredictions,
    unversionedPredictions: count(NO_VERSION),
  };
}

/**
 * After an evaluation: resumes the model's revert step once the evaluated window began after
 * the revert was asked and its served versions prove production restored ({@link revertProof},
 * with the versions approved at the window's end). The workflow then closes the incident as
 * `reverted`. Answers whether it resumed it.
 */
export async function settleRevert(
  model: ModelRecord,
  evaluation: {
    readonly evaluationId: string;
    readonly windowStart: string;
    readonly windowEnd: string;
    readonly versions?: readonly ServedVersion[];
  },
): Promise<boolean> {
  const incident = await openUnapprovedIncident(model.modelId);
  if (!incident) return false;
  const task = await getRevertTask(incident.incidentId);
  if (!task || evaluation.windowStart < task.requestedAt) return false;
  const production = model.productionVersion;
  const approved = approvedVersions(model, Date.parse(evaluation.windowEnd));
  if (!production || !revertProof(evaluation.versions ?? [], production, approved).restored) return false;
  // Taken by a single delete: of two evaluations, one resumes the step.
  const { Attributes } = await dynamoDb.send(
    new DeleteCommand({
      TableName: table,
      Key: keys.revertTask(incident.incidentId),
      ReturnValues: 'ALL_OLD',
    }),
  );
  if (!Attributes) return false;
  const restore = () =>
    dynamoDb
      .send(
        new PutCommand({
          TableName: table,
          Item: Attributes,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      )
      .catch(() => undefined);
  try {
    await workflow().sendTaskSuccess(Attributes.taskToken as string, {
      verified: true,
      evaluationId: evaluation.evaluationId,
      productionVersion: production,
    });
  } catch (error) {
    // Kept for the next window: the step timed out meanwhile (its reminder asks again with a new
    // token), or the engine failed for a passing reason. Not once the incident ended: no token
    // outlives its step.
    if ((await openUnapprovedIncident(model.modelId))?.incidentId === incident.incidentId) await restore();
    if (error instanceof TaskNotWaitingError) {
      logger.warn('revert step no longer waiting', { incidentId: incident.incidentId });
      return false;
    }
    throw error;
  }
  return true;
}

/**
 * The end of the revert step, once `settleRevert` resumed it: the evaluation that showed
 * production restored is recorded on the incident and in its audit trail, with its predictions
 * of production and those sent without a version.
 */
export async function recordRevert(
  incidentId: string,
  verified: { readonly evaluationId: string; readonly productionVersion: string },
): Promise<{ reverted: true }> {
  const evaluation = await getEvaluation(verified.evaluationId);
  const { productionPredictions, unversionedPredictions } = revertProof(
    evaluation?.versions ?? [],
    verified.productionVersion,
    [],
  );
  await recordStep(incidentId, {
    step: 'revert',
    left: { outcome: 'reverted' },
    actor: 'evaluation',
    details: { ...verified, productionPredictions, unversionedPredictions },
  });
  return { reverted: true };
}
