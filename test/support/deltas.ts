import type { ColumnCounters } from '../../functions/commons/telemetry/deltas.ts';

/**
 * The counters of every window delta that counts, among scanned telemetry items: per bucket
 * partition, the live deltas as a reader sees them (of day buckets with `prefix` `TOTALS#`). The deltas module is imported on call, once
 * the test has pointed the functions' DynamoDB client at dynalite.
 */
export async function countingDeltas(
  items: readonly Record<string, unknown>[],
  prefix = 'PROFILE#',
): Promise<ColumnCounters[]> {
  const { decodePayload, sortDeltas } = await import('../../functions/commons/telemetry/deltas.ts');
  const partitions = new Map<string, Record<string, unknown>[]>();
  for (const item of items) {
    const pk = String(item.pk);
    if (!pk.startsWith(prefix)) continue;
    const partition = partitions.get(pk);
    if (partition) partition.push(item);
    else partitions.set(pk, [item]);
  }
  return [...partitions.values()].flatMap((partition) =>
    sortDeltas(partition).live.map((delta) => decodePayload(delta.item.payload as Uint8Array)),
  );
}
