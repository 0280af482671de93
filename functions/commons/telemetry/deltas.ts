import { createHash, randomBytes } from 'node:crypto';
import { constants, deflateRaw, deflateRawSync, inflateRawSync, type ZlibOptions } from 'node:zlib';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '#clients/dynamodb';
import type { ReferenceProfile, WindowCounters } from '#drift/profile';
import { batchDelete, isConditionFailure, type WriteStep } from './writes.ts';

/**
 * Batch deltas: how predictions reach the window profiles. A batch's counters for one bucket
 * (every feature and the prediction, for the baseline that binned them) are written as one
 * immutable item, a delta, under the bucket's partition; readers add up the deltas of a bucket.
 * Deltas are compacted once their bucket has closed: a merged delta, written after its members,
 * lists them in `covers`, and its members are then deleted.
 *
 * Why readers never count a batch twice or miss one, with no transactions:
 * - a merged delta's sort key sorts after every member's, and it is complete only once all its
 *   parts are visible; members are deleted only after that, and merged deltas are never deleted
 *   (they expire with their bucket);
 * - a Query reads the partition in sort-key order, so a reader that saw a member before its
 *   deletion reaches the merged delta later, when it is complete: the member is covered then,
 *   and counted once, in the merged delta. A reader that finds a merged delta incomplete ignores
 *   it and counts the members, all still there;
 * - a batch delta's key derives from the batch id, so a retry writes the same key again: a
 *   conditional put if the delta is still there, and a covered (ignored) key if it was merged.
 * - compactions of one bucket are serialised by a lease whose generation each compaction bumps
 *   when it starts and when it ends: a compaction acts only on a snapshot read while no other
 *   compaction ran, so it never takes another's merged delta in progress for debris.
 */

export const DELTA_PREFIX = 'delta#';
/**
 * The baseline slot of deltas whose counters no baseline bins: performance of joined actuals,
 * metric points and feedback (baselines are numbered from 1).
 */
export const UNBINNED = 0;
/** The compaction lease of a bucket partition; it sorts before every delta. */
export const LEASE_SK = 'compaction#lease';
/** The longest a function may run (Lambda's limit): a lease outlives any holder. */
const LEASE_SECONDS = 900;
/** Payload bytes per item, leaving room under DynamoDB's 400 KB for the key and `covers`. */
const PART_BYTES = 300 * 1024;
/** Members of one merged delta (their keys are listed in it). */
const MAX_COVERS = 1000;

/** Counters per column: what one delta adds to its bucket. */
export type ColumnCounters = Record<string, WindowCounters>;

export interface DeltaItem {
  pk: string;
  sk: string;
  baseline: number;
  /** Items this delta is split into (each carries its share of the columns). */
  parts: number;
  /** Deflated JSON of this part's {@link ColumnCounters}. */
  payload: Uint8Array;
  /** On part 0 of a merged delta: the sort keys of the items it merged. */
  covers?: string[];
  /** When DynamoDB's TTL deletes the item; none for items kept as long as the table. */
  expiresAt?: number;
}

/**
 * The delta id of a batch: derived from its id when it has one, so that a retry rewrites the
 * same keys. Batches of other kinds than predictions name their kind, so that a metrics batch
 * and an actuals batch with the same id write distinct deltas.
 */
export function deltaId(batchId?: string, kind?: string): string {
  if (batchId === undefined) return randomBytes(16).toString('base64url');
  const name = kind === undefined ? batchId : `${kind}#${batchId}`;
  return createHash('sha256').update(name).digest('base64url').slice(0, 22);
}

/**
 * `deflateRaw` on the thread pool. Not `promisify` of `node:util`: importing anything from that
 * module evaluates all of it (its argument parser, MIME types...) at every cold start of the
 * functions that read or write deltas.
 */
const deflateAsync = (json: string, options: ZlibOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    deflateRaw(json, options, (error, result) => (error ? reject(error) : resolve(result))),
  );
/**
 * Below this many characters of JSON, deflating at once costs the event loop less than handing
 * the work to the thread pool and back (day totals, metrics and feedback deltas are this small).
 */
const SYNC_DEFLATE_CHARS = 4096;
const deflate = (json: string): Promise<Uint8Array> | Uint8Array =>
  json.length < SYNC_DEFLATE_CHARS
    ? deflateRawSync(json, { level: constants.Z_BEST_SPEED })
    : deflateAsync(json, { level: constants.Z_BEST_SPEED });

/**
 * A column's counters already written as JSON (the text `JSON.stringify` would write of them),
 * so that a delta of counters kept in arrays never builds them as an object first.
 */
export class CountersJson {
  constructor(readonly json: string) {}
}

/**
 * The items of one delta, split so that each stays well under DynamoDB's item size limit.
 * Compression runs on libuv's thread pool, off the event loop.
 */
export async function deltaItems(
  pk: string,
  baseline: number,
  id: string,
  columns: Readonly<Record<string, WindowCounters | CountersJson>>,
  expiresAt: number | undefined,
  covers?: readonly string[],
  partBytes = PART_BYTES,
): Promise<DeltaItem[]> {
  // Parts as lists of `"column":{counters}` entries; a column appears at most once in a part.
  const chunks: { entries: string[]; columns: Set<string> }[] = [{ entries: [], columns: new Set() }];
  let size = 0;
  const push = (column: string, json: string) => {
    const entry = `${JSON.stringify(column)}:${json}`;
    const bytes = Buffer.byteLength(entry);
    let chunk = chunks[chunks.length - 1] as (typeof chunks)[number];
    if (size > 0 && (size + bytes > partBytes || chunk.columns.has(column))) {
      chunk = { entries: [], columns: new Set() };
      chunks.push(chunk);
      size = 0;
    }
    chunk.entries.push(entry);
    chunk.columns.add(column);
    size += bytes + 1;
  };
  for (const [column, given] of Object.entries(columns)) {
    const json = given instanceof CountersJson ? given.json : JSON.stringify(given);
    if (Buffer.byteLength(json) <= partBytes) {
      push(column, json);
      continue;
    }
    const counters = given instanceof CountersJson ? (JSON.parse(json) as WindowCounters) : given;
    // A column too large for one part (thousands of long category names) is split by key.
    let slice: WindowCounters = {};
    let sliceSize = 0;
    for (const [key, value] of Object.entries(counters)) {
      const bytes = Buffer.byteLength(key) + 32;
      if (sliceSize > 0 && sliceSize + bytes > partBytes / 2) {
        push(column, JSON.stringify(slice));
        slice = {};
        sliceSize = 0;
      }
      slice[key] = value;
      sliceSize += bytes;
    }
    push(column, JSON.stringify(slice));
  }
  // Parts may share a column (a split one); readers add parts up.
  return Promise.all(
    chunks.map(async ({ entries }, part) => ({
      pk,
      sk: `${DELTA_PREFIX}${baseline}#${id}#${part}`,
      baseline,
      parts: chunks.length,
      payload: await deflate(`{${entries.join(',')}}`),
      ...(covers && part === 0 ? { covers: [...covers] } : {}),
      ...(expiresAt === undefined ? {} : { expiresAt }),
    })),
  );
}

/**
 * The write step of one item of a batch's delta. On a batch's first attempt the item's key is
 * new (delta ids derive from the attempt's token), so it is a plain put, which {@link runSteps}
 * sends with the batch's other puts in one BatchWriteItem; the SDK's retry of that request
 * writes the same item again. An attempt resuming a failed one uses {@link putDeltaItem}, whose
 * condition keeps what the failed attempt wrote, so that parts of two attempts never mix.
 */
export function deltaWriteStep(stepId: string, table: string, item: DeltaItem, resumed: boolean): WriteStep {
  return resumed
    ? { id: stepId, run: () => putDeltaItem(table, item) }
    : { id: stepId, table, item: deltaAttributes(item) };
}

/** A delta item in DynamoDB's attribute values, as the document client would marshal it. */
export function deltaAttributes(item: DeltaItem): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {
    pk: { S: item.pk },
    sk: { S: item.sk },
    baseline: { N: String(item.baseline) },
    parts: { N: String(item.parts) },
    payload: { B: item.payload },
  };
  if (item.covers) attributes.covers = { L: item.covers.map((sk) => ({ S: sk })) };
  if (item.expiresAt !== undefined) attributes.expiresAt = { N: String(item.expiresAt) };
  return attributes;
}

/** Writes one delta item; a retry that finds it written already succeeds. */
export async function putDeltaItem(table: string, item: DeltaItem): Promise<void> {
  try {
    await dynamoDb.send(
      new PutCommand({ TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

export function decodePayload(payload: Uint8Array): ColumnCounters {
  return JSON.parse(inflateRawSync(payload).toString('utf8')) as ColumnCounters;
}

const decoded = new WeakMap<object, ColumnCounters>();

/** A delta item's counters, decoded once however many times a read and its compaction use them. */
export function countersOf(delta: ParsedDelta): ColumnCounters {
  let columns = decoded.get(delta.item);
  if (!columns) {
    columns = decodePayload(delta.item.payload as Uint8Array);
    decoded.set(delta.item, columns);
  }
  return columns;
}

/** Every item of one bucket partition, with strongly consistent reads. */
export async function readBucket(table: string, pk: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamoDb.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ExclusiveStartKey: startKey,
        ConsistentRead: true,
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** Adds counters into `into`, in place. */
function addColumns(into: Map<string, WindowCounters>, columns: ColumnCounters): void {
  for (const [column, counters] of Object.entries(columns)) {
    let target = into.get(column);
    if (!target) {
      target = {};
      into.set(column, target);
    }
    for (const key in counters) target[key] = (target[key] ?? 0) + (counters[key] as number);
  }
}

interface ParsedDelta {
  readonly item: Record<string, unknown>;
  readonly sk: string;
  readonly baseline: number;
  readonly id: string;
  readonly merged: boolean;
}

/** A bucket partition's deltas sorted out: what counts, and what may be deleted. */
export interface BucketDeltas {
  /** Items whose counters count: batch deltas not merged, and every part of complete merged deltas. */
  readonly live: readonly ParsedDelta[];
  /** Sort keys of items a complete merged delta includes: ignored, and deleted by compaction. */
  readonly covered: readonly string[];
  /** Sort keys of parts of merged deltas never completed: ignored, and deleted by compaction. */
  readonly incomplete: readonly string[];
  /** The compaction lease's generation when the partition was read. */
  readonly generation: number;
}

/** Sorts out the items of one bucket partition (other items in it are skipped). */
export function sortDeltas(items: readonly Record<string, unknown>[]): BucketDeltas {
  const deltas: ParsedDelta[] = [];
  let generation = 0;
  for (const item of items) {
    const sk = String(item.sk);
    if (sk === LEASE_SK) generation = Number(item.generation ?? 0);
    if (!sk.startsWith(DELTA_PREFIX)) continue;
    const id = sk.slice(DELTA_PREFIX.length).split('#')[1] ?? '';
    deltas.push({ item, sk, baseline: Number(item.baseline), id, merged: id.includes('~') });
  }
  const groups = new Map<string, ParsedDelta[]>();
  for (const delta of deltas) {
    if (!delta.merged) continue;
    const group = `${delta.baseline}#${delta.id}`;
    const parts = groups.get(group);
    if (parts) parts.push(delta);
    else groups.set(group, [delta]);
  }
  const covered = new Set<string>();
  const complete = new Set<string>();
  for (const [group, parts] of groups) {
    const first = parts.find((p) => p.sk.endsWith('#0'));
    if (!first || parts.length !== Number(first.item.parts)) continue;
    complete.add(group);
    for (const sk of (first.item.covers as string[] | undefined) ?? []) covered.add(sk);
  }
  const live: ParsedDelta[] = [];
  const ignored: string[] = [];
  const incomplete: string[] = [];
  for (const delta of deltas) {
    if (covered.has(delta.sk)) ignored.push(delta.sk);
    else if (delta.merged && !complete.has(`${delta.baseline}#${delta.id}`)) incomplete.push(delta.sk);
    else live.push(delta);
  }
  return { live, covered: ignored, incomplete, generation };
}

/** The counters of one baseline in a bucket partition: the sum of its live deltas. */
export function bucketColumns(
  deltas: BucketDeltas,
  baseline: number,
  into = new Map<string, WindowCounters>(),
) {
  for (const delta of deltas.live) {
    if (delta.baseline === baseline) addColumns(into, countersOf(delta));
  }
  return into;
}

/** True when compacting the partition would shrink it: `minimum` batch deltas of one baseline, or debris. */
export function worthCompacting(deltas: BucketDeltas, minimum = 2): boolean {
  const unmerged = new Map<number, number>();
  for (const d of deltas.live) if (!d.merged) unmerged.set(d.baseline, (unmerged.get(d.baseline) ?? 0) + 1);
  return (
    deltas.covered.length > 0 ||
    deltas.incomplete.length > 0 ||
    [...unmerged.values()].some((n) => n >= minimum)
  );
}

export interface CompactOptions {
  partBytes?: number;
  /**
   * Bounds each column's merged counters with its reference profile (`bound(profile, counters)`,
   * the profile's new-category cap), so that a merged delta stays bounded however many batches
   * it sums: the reference profiles of a baseline, by column.
   */
  bound?: {
    profiles(baseline: number): Promise<ReadonlyMap<string, ReferenceProfile>>;
    counters(profile: ReferenceProfile, counters: WindowCounters): WindowCounters;
  };
  /** Bounds of columns without a reference profile (`@version`), by column. */
  columnBounds?: Readonly<Record<string, (counters: WindowCounters) => WindowCounters>>;
}

/**
 * Compacts a bucket partition read as `deltas`: merges its batch deltas (per baseline, up to
 * 1,000 in a merged delta), then deletes what merged deltas cover and any incomplete merged
 * delta. Runs only if it acquires the partition's lease at the generation of that read, so it
 * acts on a snapshot nobody has compacted since; returns false when it did not run.
 */
export async function compactBucket(
  table: string,
  pk: string,
  deltas: BucketDeltas,
  options: CompactOptions = {},
): Promise<boolean> {
  const now = Math.floor(Date.now() / 1000);
  const owner = randomBytes(9).toString('base64url');
  try {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk, sk: LEASE_SK },
        UpdateExpression: 'SET leaseUntil = :until, #owner = :owner, generation = :next',
        ConditionExpression:
          '(attribute_not_exists(pk) AND :generation = :zero) OR (generation = :generation AND leaseUntil < :now)',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: {
          ':until': now + LEASE_SECONDS,
          ':owner': owner,
          ':next': deltas.generation + 1,
          ':generation': deltas.generation,
          ':zero': 0,
          ':now': now,
        },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // The SDK retries a call whose connection dropped after DynamoDB applied it; the retry then
    // fails the condition although the lease is ours.
    const { Item } = await dynamoDb.send(
      new GetCommand({ TableName: table, Key: { pk, sk: LEASE_SK }, ConsistentRead: true }),
    );
    if (Item?.owner !== owner) return false;
  }
  try {
    const remove = [...deltas.covered, ...deltas.incomplete];
    const byBaseline = new Map<number, ParsedDelta[]>();
    for (const d of deltas.live) {
      if (d.merged) continue;
      const members = byBaseline.get(d.baseline);
      if (members) members.push(d);
      else byBaseline.set(d.baseline, [d]);
    }
    for (const [baseline, members] of byBaseline) {
      members.sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
      for (let start = 0; start < members.length; start += MAX_COVERS) {
        const chunk = members.slice(start, start + MAX_COVERS);
        if (chunk.length < 2) continue;
        const sum = new Map<string, WindowCounters>();
        for (const member of chunk) addColumns(sum, countersOf(member));
        if (options.bound) {
          const profiles = await options.bound.profiles(baseline);
          for (const [column, counters] of sum) {
            const profile = profiles.get(column);
            if (profile) sum.set(column, options.bound.counters(profile, counters));
          }
        }
        for (const [column, bound] of Object.entries(options.columnBounds ?? {})) {
          const counters = sum.get(column);
          if (counters) sum.set(column, bound(counters));
        }
        const last = chunk[chunk.length - 1] as ParsedDelta;
        // Sorts after every member: the last member's id, then `~`, which sorts after `#`.
        const id = `${last.id}~${randomBytes(4).toString('base64url')}`;
        // Expires with its last member; kept for good if a member is.
        const expiries = chunk.map((m) => m.item.expiresAt);
        const expiresAt = expiries.every((e) => typeof e === 'number')
          ? Math.max(...(expiries as number[]))
          : undefined;
        const items = await deltaItems(
          pk,
          baseline,
          id,
          Object.fromEntries(sum),
          expiresAt,
          chunk.map((m) => m.sk),
          options.partBytes,
        );
        for (const item of items) await putDeltaItem(table, item);
        remove.push(...chunk.map((m) => m.sk));
      }
    }
    await batchDelete(
      table,
      remove.map((sk) => ({ pk, sk })),
    );
  } finally {
    await dynamoDb
      .send(
        new UpdateCommand({
          TableName: table,
          Key: { pk, sk: LEASE_SK },
          // A new generation: a snapshot read while this compaction ran can never acquire the lease.
          UpdateExpression: 'SET leaseUntil = :zero, generation = generation + :one',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':owner': owner },
        }),
      )
      .catch(() => undefined);
  }
  return true;
}
