import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '#clients/dynamodb';
import { requireEnv } from '#commons/config';
import type { ModelRecord } from '#commons/registry/store';
import { approvedVersions } from '#commons/telemetry/versions';
import { logger } from '#powertools/logger';
import { metrics } from '#powertools/metrics';
import { incidentData } from '../webhooks/emit.ts';
import { publishEvents } from '../webhooks/publish.ts';
import { appendAudit } from './audit.ts';
import { incidentKeys as keys } from './keys.ts';
import { ensureWorkflowStarted, openIncident } from './open.ts';
import { getIncident, readOpenIncidentLock } from './store.ts';
import type { IncidentRecord } from './types.ts';

const table = requireEnv('GOVERNANCE_TABLE');

/**
 * Predictions served by a version the model may not serve (SOP 6.1.1, audits of models that
 * change themselves): an incident of kind `unapproved_version`, opened by the ingest request
 * that brought the first such batch. The Data Science Lead decides `review` (the version goes
 * through the candidate path) or `revert` (MLOps and Operations restore production; the
 * scheduled evaluation closes the incident once a whole window was served by production alone).
 */

/** Batches an incident lists by name; later ones are counted (`batchCount`). */
export const MAX_LISTED_BATCHES = 50;

/** A batch served by an unapproved version. */
export interface UnapprovedBatch {
  /** The served version. */
  readonly version: string;
  /** The batch: its `batchId`, or the ledger token of a batch sent without one. */
  readonly batch: string;
  readonly predictions: number;
}

export { isUnapproved } from './unapproved-check.ts';

/**
 * Opens the model's `unapproved_version` incident for a batch, or, while one is open, lists the
 * batch on it (once, up to {@link MAX_LISTED_BATCHES}, each in the audit trail; every batch is
 * counted); then starts its workflow if it has not started. Answers the incident.
 */
export async function reportUnapprovedVersion(
  model: Pick<ModelRecord, 'modelId' | 'name'> & Parameters<typeof approvedVersions>[0],
  served: UnapprovedBatch,
): Promise<IncidentRecord> {
  const approved = approvedVersions(model, Date.now());
  const { incident, created } = await openIncident({
    modelId: model.modelId,
    kind: 'unapproved_version',
    version: model.productionVersion ?? 'unversioned',
    reasons: [
      `Predictions served by version ${served.version}, which is not approved to serve (approved: ${approved.join(', ')}); first batch ${served.batch}`,
    ],
    details: {
      servedVersion: served.version,
      firstBatch: served.batch,
      predictions: served.predictions,
      approvedVersions: approved,
    },
    actor: 'ingest',
  });
  let current = incident;
  if (created) {
    metrics.addMetric('UnapprovedVersionIncidents', MetricUnit.Count, 1);
    current = await listBatch(incident.incidentId, served, true);
    await publishEvents([
      {
        type: 'model.unapproved_version',
        data: {
          modelId: model.modelId,
          incidentId: incident.incidentId,
          version: served.version,
          batchId: served.batch,
          approvedVersions: approved,
        },
      },
      { type: 'incident.opened', data: incidentData(current, model.name) },
    ]);
  } else {
    current = await listBatch(incident.incidentId, served, false);
  }
  if (current.executionArn) return current;
  try {
    return await ensureWorkflowStarted(current);
  } catch (error) {
    // The batch is accepted all the same: the next scheduled run starts it (`startUnapprovedWorkflow`).
    logger.warn('starting the workflow of an unapproved version failed', {
      incidentId: current.incidentId,
      error,
    });
    return current;
  }
}

/**
 * Starts the workflow of the model's open `unapproved_version` incident if its start failed
 * within the ingest request (the scheduled evaluation calls it on every run of the model).
 */
export async function startUnapprovedWorkflow(modelId: string): Promise<void> {
  const incident = await openUnapprovedIncident(modelId);
  if (incident && !incident.executionArn) await ensureWorkflowStarted(incident);
}

/** `{batch} ({version})`, as an incident lists a batch. */
function batchEntry(served: UnapprovedBatch): string {
  return `${served.batch} (${served.version})`;
}

/**
 * Lists the batch on the open incident once (while it lists fewer than the maximum) and counts
 * it; a batch listed already changes nothing. The batch enters the audit trail when listed
 * (the opener's is in the incident's first event).
 */
async function listBatch(
  incidentId: string,
  served: UnapprovedBatch,
  opener: boolean,
): Promise<IncidentRecord> {
  const entry = batchEntry(served);
  const now = new Date().toISOString();
  try {
    const { Attributes } = await dynamoDb.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.incident(incidentId),
        UpdateExpression:
          'SET batches = list_append(if_not_exists(batches, :empty), :entry), updatedAt = :now ADD batchCount :one',
        ConditionExpression:
          '#status = :open AND (attribute_not_exists(batches) OR (NOT contains(batches, :id) AND size(batches) < :most))',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':empty': [],
          ':entry': [entry],
          ':id': entry,
          ':one': 1,
          ':open': 'open',
          ':most': MAX_LISTED_BATCHES,
          ':now': now,
        },
      }),
    );
    if (!opener) {
      await appendAudit(incidentId, {
        at: now,
        type: 'unapproved_version.batch',
        actor: 'ingest',
        details: { ...served },
      });
    }
    return (await getIncident(incidentId)) ?? (Attributes as IncidentRecord);
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
  const incident = await getIncident(incidentId);
  if (!incident) throw new Error(`Incident ${incidentId} vanished`);
  const listed = incident.batches ?? [];
  if (incident.status === 'open' && !listed.includes(entry) && listed.length >= MAX_LISTED_BATCHES) {
    // Past the listed batches: counted only (the ledger runs this once per batch).
    await dynamoDb
      .send(
        new UpdateCommand({
          TableName: table,
          Key: keys.incident(incidentId),
          UpdateExpression: 'SET updatedAt = :now ADD batchCount :one',
          ConditionExpression: '#status = :open',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':one': 1, ':open': 'open', ':now': now },
        }),
      )
      .catch((counting: unknown) => {
        if (!(counting instanceof ConditionalCheckFailedException)) throw counting;
      });
  }
  return incident;
}

/** The open `unapproved_version` incident of a model, if any. */
export async function openUnapprovedIncident(modelId: string): Promise<IncidentRecord | undefined> {
  const lock = await readOpenIncidentLock(modelId, 'unapproved_version');
  const incident = lock ? await getIncident(lock.incidentId) : undefined;
  return incident?.status === 'open' ? incident : undefined;
}
