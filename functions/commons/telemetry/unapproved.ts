import { isUnapproved } from '#commons/incidents/unapproved-check';
import type { IngestModel } from '#commons/registry/ingest-model';
import type { WriteStep } from './writes.ts';

/**
 * The write step of a prediction batch served by an unapproved version: it opens the model's
 * `unapproved_version` incident (or lists the batch on the open one) and starts its workflow,
 * within the ingest request. A step of the batch like its deltas, so the ledger runs it once
 * per batch: a replayed batch answers what the first attempt answered and opens nothing.
 * Sets `incidentId` on the response the batch is answered with. None for any other batch.
 */
export function unapprovedVersionStep(
  model: IngestModel,
  batch: { readonly batchId?: string; readonly modelVersion?: string; readonly records: readonly unknown[] },
  token: string,
  response: { incidentId?: string },
): WriteStep | undefined {
  const version = batch.modelVersion;
  if (version === undefined || !isUnapproved(model, version)) return undefined;
  return {
    id: 'unapproved-version',
    run: async () => {
      // The incident code loads with the first such batch of an execution environment.
      const { reportUnapprovedVersion } = await import('#commons/incidents/unapproved');
      const incident = await reportUnapprovedVersion(model, {
        version,
        batch: batch.batchId ?? token,
        predictions: batch.records.length,
      });
      response.incidentId = incident.incidentId;
    },
  };
}
