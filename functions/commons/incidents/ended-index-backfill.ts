import { endedIncidentIndex, endedIndexAttributes } from './ended-index.ts';
import { forEachIndexedIncident, updateIncidentIf } from './index-backfill.ts';

/**
 * The one-off upgrade step of a deployment whose incidents predate the ended-incident index
 * (`ended-index.ts`): every incident that ended before it gets its index attributes, so that the
 * KPI report finds it in the period it ended in. Incidents that end later carry them from the
 * write that ends them; open ones need none yet.
 *
 * It reads the whole incident index once, a page at a time (ids, model, status and end time
 * only), and marks each ended incident that lacks the attributes in one conditional update:
 * `closedAt = <the time read> AND attribute_not_exists(endedpk)`, so one marked already (by the
 * write that ended it, or an earlier run) is not written again. Safe to run again, and beside a
 * running deployment.
 */
export async function backfillEndedIncidentIndex(): Promise<{ read: number; ended: number; added: number }> {
  let read = 0;
  let ended = 0;
  let added = 0;
  const projection = {
    expression: 'incidentId, modelId, closedAt, #status, #endedpk',
    names: { '#status': 'status', '#endedpk': endedIncidentIndex.partitionAttribute },
  };
  await forEachIndexedIncident(projection, async (item) => {
    read++;
    if (item.status === 'open' || typeof item.closedAt !== 'string') return;
    ended++;
    if (item[endedIncidentIndex.partitionAttribute] !== undefined) return;
    if (await markEnded(item.incidentId as string, item.modelId as string, item.closedAt)) added++;
  });
  return { read, ended, added };
}

function markEnded(incidentId: string, modelId: string, closedAt: string): Promise<boolean> {
  const { endedpk, endedsk } = endedIndexAttributes(modelId, closedAt, incidentId);
  return updateIncidentIf(incidentId, {
    UpdateExpression: 'SET #endedpk = :endedpk, #endedsk = :endedsk',
    ConditionExpression: 'closedAt = :closedAt AND attribute_not_exists(#endedpk)',
    ExpressionAttributeNames: {
      '#endedpk': endedIncidentIndex.partitionAttribute,
      '#endedsk': endedIncidentIndex.sortAttribute,
    },
    ExpressionAttributeValues: { ':closedAt': closedAt, ':endedpk': endedpk, ':endedsk': endedsk },
  });
}
