/**
 * The sparse index of open incidents (`open` in `lib/tables.ts`): an incident carries `openpk` and
 * `opensk` while it is open, and the write that ends it (closed, false alarm, abandoned, reverted,
 * failed: `updateIncident` setting any status but `open`) removes them in the same update. Reading
 * the open incidents therefore costs what is open now, never the incidents ever opened.
 */
export const openIncidentIndex = {
  name: 'open',
  /** The one partition of the index: every open incident, newest first by `opensk`. */
  partition: 'OPEN_INCIDENTS',
  partitionAttribute: 'openpk',
  sortAttribute: 'opensk',
} as const;

/** The index attributes of an open incident: `opensk` = `{openedAt}#{incidentId}`, as in gsi1. */
export function openIndexAttributes(
  openedAt: string,
  incidentId: string,
): { openpk: string; opensk: string } {
  return { openpk: openIncidentIndex.partition, opensk: `${openedAt}#${incidentId}` };
}

/** Whether a page key is one of the open-incident index (a `nextToken` of `status=open`). */
export function isOpenIncidentPageKey(key: Record<string, string>): boolean {
  return (
    key.openpk === openIncidentIndex.partition &&
    typeof key.opensk === 'string' &&
    typeof key.pk === 'string' &&
    key.pk.startsWith('INCIDENT#') &&
    key.sk === '#INCIDENT' &&
    Object.keys(key).length === 4
  );
}
