import { forEachIndexedIncident, updateIncidentIf } from './index-backfill.ts';
import { openIncidentIndex, openIndexAttributes } from './open-index.ts';

/**
 * The one-off upgrade step of a deployment whose incidents predate the open-incident index
 * (`open-index.ts`): every incident still open gets its index attributes, so that the listings of
 * open incidents (the API's `status=open`, the delivery refresh) find it. New incidents carry
 * them from the start; closed ones never need them.
 *
 * It reads the whole incident index once, a page at a time (ids, status and opening time only),
 * and marks each open incident that lacks the attributes in one conditional update: `status = open
 * AND attribute_not_exists(openpk)`, so an incident that closed since it was read is left out of
 * the index and one marked already is not written again. Safe to run again, and beside a running
 * deployment.
 */
export async function backfillOpenIncidentIndex(): Promise<{ read: number; open: number; added: number }> {
  let read = 0;
  let open = 0;
  let added = 0;
  const projection = {
    expression: 'incidentId, openedAt, #status, #openpk',
    names: { '#status': 'status', '#openpk': openIncidentIndex.partitionAttribute },
  };
  await forEachIndexedIncident(projection, async (item) => {
    read++;
    if (item.status !== 'open') return;
    open++;
    if (item[openIncidentIndex.partitionAttribute] !== undefined) return;
    if (await markOpen(item.incidentId as string, item.openedAt as string)) added++;
  });
  return { read, open, added };
}

function markOpen(incidentId: string, openedAt: string): Promise<boolean> {
  const { openpk, opensk } = openIndexAttributes(openedAt, incidentId);
  return updateIncidentIf(incidentId, {
    UpdateExpression: 'SET #openpk = :openpk, #opensk = :opensk',
    ConditionExpression: '#status = :open AND attribute_not_exists(#openpk)',
    ExpressionAttributeNames: {
      '#status': 'status',
      '#openpk': openIncidentIndex.partitionAttribute,
      '#opensk': openIncidentIndex.sortAttribute,
    },
    ExpressionAttributeValues: { ':open': 'open', ':openpk': openpk, ':opensk': opensk },
  });
}
