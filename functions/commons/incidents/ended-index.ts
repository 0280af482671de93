/**
 * The sparse index of ended incidents (`ended` in `lib/tables.ts`), one partition a model: an
 * incident carries `endedpk` = `ENDED#{modelId}` and `endedsk` = `{closedAt}#{incidentId}` from
 * the write that ends it (closed, false alarm, abandoned, reverted, failed: the update that sets
 * `closedAt`), or from its first write when it is written ended. The incidents of a model that
 * ended in a period are therefore one key range of one partition: a report reads those, never
 * the model's whole history nor other models' incidents.
 */
export const endedIncidentIndex = {
  name: 'ended',
  partitionAttribute: 'endedpk',
  sortAttribute: 'endedsk',
  /** The partition of a model's ended incidents, in the order they ended. */
  partition: (modelId: string) => `ENDED#${modelId}`,
} as const;

/** The index attributes of an incident that ended at `closedAt`. */
export function endedIndexAttributes(
  modelId: string,
  closedAt: string,
  incidentId: string,
): { endedpk: string; endedsk: string } {
  return { endedpk: endedIncidentIndex.partition(modelId), endedsk: `${closedAt}#${incidentId}` };
}
