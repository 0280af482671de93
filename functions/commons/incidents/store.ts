import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { dynamoDb, withoutKeys as strip } from '#clients/dynamodb';
import { isItemKeyUnder, queryAll, queryAllScanned } from '#clients/query';
import { requireEnv } from '#commons/config';
import { HttpError } from '#commons/http';
import { endedIncidentIndex, endedIndexAttributes } from './ended-index.ts';
import { incidentKeys as keys } from './keys.ts';
import { isOpenIncidentPageKey, openIncidentIndex, openIndexAttributes } from './open-index.ts';
import { INCIDENT_RECORD_LIMITS } from './record-limits.ts';
import type {
  Candidate,
  HistoryEntry,
  IncidentKind,
  IncidentRecord,
  IncidentStatus,
  Role,
  ValidationReport,
} from './types.ts';

const table = requireEnv('GOVERNANCE_TABLE');

/** The incident is closed (or failed): the workflow step or request that needed it open cannot run. */
export class IncidentNotOpenError extends Error {
  constructor(readonly incidentId: string) {
    super(`Incident ${incidentId} is not open`);
    this.name = 'IncidentNotOpenError';
  }
}

export function newIncidentId(): string {
  return `inc_${randomBytes(10).toString('hex')}`;
}

/** An incident as written: records written before incidents had kinds have none (a breach). */
export type StoredIncident = Omit<IncidentRecord, 'kind'> & { readonly kind?: IncidentKind };

/** Writes a new incident; false when one with this id exists already. */
export async function putNewIncident(incident: StoredIncident): Promise<boolean> {
  try {
    await dynamoDb.send(
      new PutCommand({
        TableName: table,
        Item: {
          ...keys.incident(incident.incidentId),
          gsi1pk: keys.incidentsIndex,
          gsi1sk: keys.incidentsIndexSort(incident.openedAt, incident.incidentId),
          ...(incident.status === 'open' ? openIndexAttributes(incident.openedAt, incident.incidentId) : {}),
          ...(incident.status !== 'open' && incident.closedAt
            ? endedIndexAttributes(incident.modelId, incident.closedAt, incident.incidentId)
            : {}),
          ...incident,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** An incident as stored, with its kind: `breach` for records written before incidents had kinds. */
function toIncident(item: Record<string, unknown>): IncidentRecord {
  const { openpk: _openpk, opensk: _opensk, endedpk: _endedpk, endedsk: _endedsk, ...rest } = strip(item);
  return { kind: 'breach', ...rest } as unknown as IncidentRecord;
}

export async function getIncident(incidentId: string): Promise<IncidentRecord | undefined> {
  const { Item } = await dynamoDb.send(
    new GetCommand({ TableName: table, Key: keys.incident(incidentId), ConsistentRead: true }),
  );
  return Item ? toIncident(Item) : undefined;
}

type HistoryKind = 'candidate' | 'validation';

/**
 * Adds a candidate or a re-validation report to the incident's records (one item each, beside the
 * incident: keys.ts). JSON, as evaluations are: a metric may be any double.
 */
export async function addIncidentRecord(
  incidentId: string,
  kind: HistoryKind,
  at: string,
  record: Candidate | ValidationReport,
  /**
   * The record's own suffix, which makes it one of its kind: written again (a retried step), it
   * replaces the earlier one rather than adding another. A random one by default.
   */
  suffix?: string,
): Promise<{ pk: string; sk: string }> {
  const key = keys[kind](incidentId, at, suffix ?? randomBytes(4).toString('hex'));
  await dynamoDb.send(
    new PutCommand({
      TableName: table,
      Item: { ...key, data: JSON.stringify(record) },
      ...(suffix === undefined ? { ConditionExpression: 'attribute_not_exists(pk)' } : {}),
    }),
  );
  return key;
}

/**
 * Candidates (and re-validation reports, one a candidate) of one incident read at most: bounded
 * where they are written (`record-limits.ts`: a 201st candidate is refused), so a read never finds more.
 */
export const MAX_INCIDENT_RECORDS = INCIDENT_RECORD_LIMITS.candidates;

/** The candidates or re-validation reports of an incident, oldest first, read page after page. */
export async function listIncidentRecords(incidentId: string, kind: 'candidate'): Promise<Candidate[]>;
export async function listIncidentRecords(
  incidentId: string,
  kind: 'validation',
): Promise<ValidationReport[]>;
export async function listIncidentRecords(
  incidentId: string,
  kind: HistoryKind,
): Promise<(Candidate | ValidationReport)[]> {
  const items = await queryAll(
    {
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': keys.incidentPartition(incidentId),
        ':prefix': kind === 'candidate' ? keys.candidatePrefix : keys.validationPrefix,
      },
      ConsistentRead: true,
    },
    MAX_INCIDENT_RECORDS,
    `${kind === 'candidate' ? 'candidates' : 're-validation reports'} of incident ${incidentId}`,
  );
  return items.map((item) => JSON.parse(item.data as string));
}

/**
 * One page of an incident's candidates or re-validation reports, oldest first: at most `limit` of
 * them and, one at least, `maxBytes` of their JSON together; the key to resume after the last one
 * when there may be more.
 */
export async function listIncidentRecordPage(
  incidentId: string,
  kind: HistoryKind,
  options: { readonly limit: number; readonly maxBytes: number; readonly after?: Record<string, string> },
): Promise<{ records: (Candidate | ValidationReport)[]; nextKey?: Record<string, string> }> {
  const records: (Candidate | ValidationReport)[] = [];
  let bytes = 0;
  let last: Record<string, string> | undefined;
  let start: Record<string, unknown> | undefined = options.after;
  do {
    const page = await dynamoDb.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: {
          ':pk': keys.incidentPartition(incidentId),
          ':prefix': recordPrefix(kind),
        },
        ConsistentRead: true,
        ExclusiveStartKey: start,
        Limit: options.limit - records.length,
      }),
    );
    for (const item of page.Items ?? []) {
      const size = Buffer.byteLength(item.data as string, 'utf8');
      if (records.length > 0 && bytes + size > options.maxBytes) return { records, nextKey: last };
      records.push(JSON.parse(item.data as string));
      bytes += size;
      last = { pk: item.pk as string, sk: item.sk as string };
    }
    start = page.LastEvaluatedKey;
  } while (start && records.length < options.limit);
  return { records, ...(start && last ? { nextKey: last } : {}) };
}

function recordPrefix(kind: HistoryKind): string {
  return kind === 'candidate' ? keys.candidatePrefix : keys.validationPrefix;
}

/** Whether a page key is one of the incident's candidates or reports (see {@link listIncidentRecordPage}). */
export function isIncidentRecordPageKey(
  incidentId: string,
  kind: HistoryKind,
  key: Record<string, string>,
): boolean {
  return isItemKeyUnder(key, keys.incidentPartition(incidentId), recordPrefix(kind));
}

/** The incident, or a 404 naming it. */
export async function loadIncident(incidentId: string): Promise<IncidentRecord> {
  const incident = await getIncident(incidentId);
  if (!incident) {
    throw new HttpError(404, 'not_found', `Incident ${incidentId} does not exist`, [
      { path: 'incidentId', message: 'unknown incident' },
    ]);
  }
  return incident;
}

export interface IncidentFilter {
  readonly modelId?: string;
  readonly status?: IncidentStatus;
  readonly kind?: IncidentKind;
  /** At most this many, newest first (100 by default). */
  readonly limit?: number;
  /** Only incidents opened in [from, to], both included: the index reads that span alone. */
  readonly opened?: { readonly from: string; readonly to: string };
}

/** Incidents newest first, optionally of one model and in one status. */
export async function listIncidents(filter: IncidentFilter = {}): Promise<IncidentRecord[]> {
  const limit = filter.limit ?? 100;
  // Open incidents are read from their sparse index, which holds nothing else.
  const open = filter.status === 'open';
  const conditions: string[] = [];
  const values: Record<string, unknown> = { ':pk': open ? openIncidentIndex.partition : keys.incidentsIndex };
  const names: Record<string, string> = {};
  if (filter.modelId) {
    conditions.push('modelId = :modelId');
    values[':modelId'] = filter.modelId;
  }
  if (filter.status && !open) {
    conditions.push('#status = :status');
    names['#status'] = 'status';
    values[':status'] = filter.status;
  }
  if (filter.kind) {
    conditions.push(kindCondition('#kind', filter.kind));
    names['#kind'] = 'kind';
    values[':kind'] = filter.kind;
  }
  if (filter.opened) {
    const from = filter.opened.from;
    const to = `${filter.opened.to}#\uffff`;
    // An empty span (an evaluation created before its window's start, say) holds no incident;
    // DynamoDB refuses a BETWEEN whose bounds are out of order.
    if (from > to) return [];
    values[':from'] = from;
    values[':to'] = to;
  }
  const [index, pk, sk] = open
    ? [openIncidentIndex.name, openIncidentIndex.partitionAttribute, openIncidentIndex.sortAttribute]
    : ['gsi1', 'gsi1pk', 'gsi1sk'];
  const query: QueryCommandInput = {
    TableName: table,
    IndexName: index,
    KeyConditionExpression: filter.opened ? `${pk} = :pk AND ${sk} BETWEEN :from AND :to` : `${pk} = :pk`,
    ExpressionAttributeValues: values,
    ...(conditions.length ? { FilterExpression: conditions.join(' AND ') } : {}),
    ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
    ScanIndexForward: false,
  };
  const incidents: IncidentRecord[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamoDb.send(new QueryCommand({ ...query, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      incidents.push(toIncident(item));
      if (incidents.length >= limit) return incidents;
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return incidents;
}

/**
 * Open incidents a background job reads at most: one per model and kind (three kinds) for the
 * 10,000 models of docs/scale.md. Past it the job is refused (an error and `ReadLimitExceeded`).
 */
export const MAX_OPEN_INCIDENTS = 30_000;

/**
 * The ids (and models) of every open incident, newest first, read page after page from the sparse
 * index of open incidents (`open-index.ts`: closed ones are not in it); {@link ReadLimitError}
 * past `bound`.
 */
export async function listOpenIncidentIds(
  bound = MAX_OPEN_INCIDENTS,
): Promise<{ incidentId: string; modelId: string }[]> {
  const items = await queryAll(
    {
      TableName: table,
      IndexName: openIncidentIndex.name,
      KeyConditionExpression: '#pk = :pk',
      ProjectionExpression: 'incidentId, modelId',
      ExpressionAttributeNames: { '#pk': openIncidentIndex.partitionAttribute },
      ExpressionAttributeValues: { ':pk': openIncidentIndex.partition },
      ScanIndexForward: false,
    },
    bound,
    'open incidents',
  );
  return items.map((item) => ({ incidentId: item.incidentId as string, modelId: item.modelId as string }));
}

/** The fields of an incident that a report counts (see {@link listModelIncidentsOfPeriod}). */
const REPORT_FIELDS = [
  'incidentId',
  'modelId',
  'kind',
  'status',
  'openedAt',
  'closedAt',
  'timeToResolutionSeconds',
  'retrainingCycles',
  'details',
] as const;

export type IncidentReportFields = Pick<IncidentRecord, (typeof REPORT_FIELDS)[number]>;

/**
 * The incidents of a model that a report over [from, to) counts, each once, with the fields it
 * counts (a projection: ~1 KB each): those opened in the period, a key range of the incident index
 * on the opening time (every model's incidents opened in the period, filtered on the model), and
 * those that ended in it, a key range of the model's partition of the ended index
 * (`ended-index.ts`). Nothing before or after the period is read, however long the history.
 * {@link ReadLimitError} when either range holds more than `bound` index items.
 */
export async function listModelIncidentsOfPeriod(
  modelId: string,
  from: string,
  to: string,
  bound: number,
): Promise<IncidentReportFields[]> {
  const names = Object.fromEntries(REPORT_FIELDS.map((field, i) => [`#f${i}`, field]));
  const projection = Object.keys(names).join(', ');
  // `{time}#{incidentId}` lies in [from, to] exactly when `time` lies in [from, to): a key never
  // equals `to`, and a time equal to it sorts after it with its suffix.
  const [opened, ended] = await Promise.all([
    queryAllScanned(
      {
        TableName: table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :from AND :to',
        FilterExpression: `#f${REPORT_FIELDS.indexOf('modelId')} = :modelId`,
        ProjectionExpression: projection,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: {
          ':pk': keys.incidentsIndex,
          ':from': from,
          ':to': to,
          ':modelId': modelId,
        },
      },
      bound,
      `incidents opened from ${from} to ${to}`,
    ),
    queryAllScanned(
      {
        TableName: table,
        IndexName: endedIncidentIndex.name,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
        ProjectionExpression: projection,
        ExpressionAttributeNames: {
          ...names,
          '#pk': endedIncidentIndex.partitionAttribute,
          '#sk': endedIncidentIndex.sortAttribute,
        },
        ExpressionAttributeValues: { ':pk': endedIncidentIndex.partition(modelId), ':from': from, ':to': to },
      },
      bound,
      `incidents of model ${modelId} ended from ${from} to ${to}`,
    ),
  ]);
  // An incident opened and ended in the period is in both: once, as the ended index has it.
  const incidents = new Map<string, IncidentReportFields>();
  for (const item of [...opened, ...ended]) {
    const incident = toIncident(item) as IncidentReportFields;
    incidents.set(incident.incidentId, incident);
  }
  // Newest first by opening, as the incident index lists them.
  const order = (incident: IncidentReportFields) =>
    keys.incidentsIndexSort(incident.openedAt, incident.incidentId);
  return [...incidents.values()].sort((a, b) => (order(a) < order(b) ? 1 : order(a) > order(b) ? -1 : 0));
}

/** The fields of an incident that a list shows (see `incidentListItem`). */
const LIST_FIELDS = [
  'incidentId',
  'modelId',
  'status',
  'currentStep',
  'openedAt',
  'closedAt',
  'timeToResolutionSeconds',
  'retrainingCycles',
  'reasons',
  'kind',
] as const;

export type IncidentListFields = Pick<IncidentRecord, (typeof LIST_FIELDS)[number]>;

/**
 * DynamoDB pages (1 MB each at most) one page of a filtered incident list reads at most: a filter
 * that matches few incidents would otherwise read the whole index in one request.
 */
export const MAX_INCIDENT_INDEX_READS = 8;

/**
 * One page of incidents, newest first, optionally of one model and in one status, with the
 * listed fields only, and the key to resume after its last incident when there may be more. It
 * reads at most `maxReads` pages of the index: a filter that skipped all they held answers fewer
 * incidents than `limit` (none, maybe) and the key to resume after the last one read.
 */
export async function listIncidentPage(
  filter: IncidentFilter & { limit: number; after?: Record<string, string>; maxReads?: number },
): Promise<{ incidents: IncidentListFields[]; nextKey?: Record<string, unknown> }> {
  const maxReads = filter.maxReads ?? MAX_INCIDENT_INDEX_READS;
  // Open incidents are read from their sparse index, which holds nothing else.
  const open = filter.status === 'open';
  const [index, pk, sk] = open
    ? [openIncidentIndex.name, openIncidentIndex.partitionAttribute, openIncidentIndex.sortAttribute]
    : ['gsi1', 'gsi1pk', 'gsi1sk'];
  const conditions: string[] = [];
  const values: Record<string, unknown> = { ':pk': open ? openIncidentIndex.partition : keys.incidentsIndex };
  const names: Record<string, string> = {};
  LIST_FIELDS.forEach((field, i) => {
    names[`#f${i}`] = field;
  });
  if (filter.modelId) {
    conditions.push('#f1 = :modelId');
    values[':modelId'] = filter.modelId;
  }
  if (filter.status && !open) {
    conditions.push('#f2 = :status');
    values[':status'] = filter.status;
  }
  if (filter.kind) {
    conditions.push(kindCondition(`#f${LIST_FIELDS.indexOf('kind')}`, filter.kind));
    values[':kind'] = filter.kind;
  }
  const incidents: IncidentListFields[] = [];
  let start: Record<string, unknown> | undefined = filter.after;
  let reads = 0;
  do {
    reads++;
    const page = await dynamoDb.send(
      new QueryCommand({
        TableName: table,
        IndexName: index,
        KeyConditionExpression: `${pk} = :pk`,
        ExpressionAttributeValues: values,
        ExpressionAttributeNames: names,
        ProjectionExpression: ['pk', 'sk', pk, sk, ...LIST_FIELDS.map((_, i) => `#f${i}`)].join(', '),
        ...(conditions.length ? { FilterExpression: conditions.join(' AND ') } : {}),
        ScanIndexForward: false,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      incidents.push(toIncident(item) as IncidentListFields);
      if (incidents.length === filter.limit) {
        const more = item !== page.Items?.at(-1) || page.LastEvaluatedKey !== undefined;
        const nextKey = { pk: item.pk, sk: item.sk, [pk]: item[pk], [sk]: item[sk] };
        return { incidents, ...(more ? { nextKey } : {}) };
      }
    }
    start = page.LastEvaluatedKey;
  } while (start && reads < maxReads);
  return { incidents, ...(start ? { nextKey: start } : {}) };
}

/** The filter on an incident's kind (`:kind`): a record without one is a breach. */
function kindCondition(name: string, kind: IncidentKind): string {
  return kind === 'breach' ? `(${name} = :kind OR attribute_not_exists(${name}))` : `${name} = :kind`;
}

/**
 * Whether a page key is one of the incident listing of `status` (see {@link listIncidentPage}):
 * open incidents are paged in their own index.
 */
export function isIncidentPageKey(key: Record<string, string>, status?: IncidentStatus): boolean {
  if (status === 'open') return isOpenIncidentPageKey(key);
  return (
    key.gsi1pk === keys.incidentsIndex &&
    typeof key.gsi1sk === 'string' &&
    typeof key.pk === 'string' &&
    key.pk.startsWith('INCIDENT#') &&
    key.sk === '#INCIDENT' &&
    Object.keys(key).length === 4
  );
}

export interface IncidentChanges {
  /** Top-level attributes to set. */
  readonly set?: Record<string, unknown>;
  /** Entries appended to `history`. */
  readonly history?: readonly HistoryEntry[];
  /** Values appended to top-level lists (created when absent). */
  readonly append?: Record<string, readonly unknown[]>;
  readonly remove?: readonly string[];
  /** Apply only while the incident is open (true by default); IncidentNotOpenError otherwise. */
  readonly whileOpen?: boolean;
}

/**
 * The most entries the incident's lists take: about 14 retraining cycles of steps, and 50
 * rollbacks. Past that they stop growing (the incident names them in `truncated`); the audit
 * trail keeps every event.
 */
export const INCIDENT_LIST_LIMITS: Readonly<Record<string, number>> = { history: 200, rollbacks: 50 };

/**
 * Applies changes to an incident in one atomic update and answers the incident after them. An
 * append to a list at its limit ({@link INCIDENT_LIST_LIMITS}) is left out, and the rest applied.
 */
export async function updateIncident(incidentId: string, changes: IncidentChanges): Promise<IncidentRecord> {
  try {
    return await applyIncidentUpdate(incidentId, changes);
  } catch (error) {
    if (!(error instanceof IncidentNotOpenError)) throw error;
    const appended = Object.keys({ ...changes.append, ...(changes.history?.length ? { history: [] } : {}) });
    const incident = await getIncident(incidentId);
    const full = appended.filter((field) => {
      const list = (incident as unknown as Record<string, unknown[] | undefined> | undefined)?.[field];
      return (list?.length ?? 0) >= (INCIDENT_LIST_LIMITS[field] ?? Infinity);
    });
    if (!incident || full.length === 0) throw error;
    const append = Object.fromEntries(
      Object.entries(changes.append ?? {}).filter(([f]) => !full.includes(f)),
    );
    return applyIncidentUpdate(incidentId, {
      ...changes,
      append,
      ...(full.includes('history') ? { history: [] } : {}),
      set: { ...changes.set, truncated: [...new Set([...(incident.truncated ?? []), ...full])].sort() },
    });
  }
}

async function applyIncidentUpdate(incidentId: string, changes: IncidentChanges): Promise<IncidentRecord> {
  const names: Record<string, string> = { '#updatedAt': 'updatedAt' };
  const values: Record<string, unknown> = { ':now': new Date().toISOString() };
  const sets = ['#updatedAt = :now'];
  let n = 0;
  for (const [field, value] of Object.entries(changes.set ?? {})) {
    names[`#f${n}`] = field;
    values[`:v${n}`] = value;
    sets.push(`#f${n} = :v${n}`);
    n++;
  }
  const appends: Record<string, readonly unknown[]> = { ...changes.append };
  if (changes.history?.length) appends.history = changes.history;
  const limits: string[] = [];
  for (const [field, items] of Object.entries(appends)) {
    names[`#f${n}`] = field;
    values[`:v${n}`] = items;
    sets.push(`#f${n} = list_append(if_not_exists(#f${n}, :empty), :v${n})`);
    values[':empty'] = [];
    const limit = INCIDENT_LIST_LIMITS[field];
    if (limit !== undefined) {
      values[`:max${n}`] = limit;
      limits.push(`(attribute_not_exists(#f${n}) OR size(#f${n}) < :max${n})`);
    }
    n++;
  }
  const removed = [...(changes.remove ?? [])];
  // The write that ends an incident takes it out of the open-incident index, atomically.
  const status = changes.set?.status;
  if (status !== undefined && status !== 'open') {
    removed.push(openIncidentIndex.partitionAttribute, openIncidentIndex.sortAttribute);
  }
  const removes = removed.map((field) => {
    names[`#f${n}`] = field;
    return `#f${n++}`;
  });
  const whileOpen = changes.whileOpen ?? true;
  if (whileOpen) {
    names['#status'] = 'status';
    values[':open'] = 'open';
  }
  try {
    const { Attributes } = await dynamoDb.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.incident(incidentId),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: [whileOpen ? '#status = :open' : 'attribute_exists(pk)', ...limits].join(
          ' AND ',
        ),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toIncident(Attributes ?? {});
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw new IncidentNotOpenError(incidentId);
    throw error;
  }
}

/** The open-incident lock of a model and kind: the id of its open incident of that kind, if any. */
export async function readOpenIncidentLock(
  modelId: string,
  kind: IncidentKind = 'breach',
): Promise<{ incidentId: string; openedAt: string } | undefined> {
  const { Item } = await dynamoDb.send(
    new GetCommand({ TableName: table, Key: keys.openIncidentLock(modelId, kind), ConsistentRead: true }),
  );
  return Item ? { incidentId: Item.incidentId as string, openedAt: Item.openedAt as string } : undefined;
}

/** Takes the model's open-incident lock of a kind for `incidentId`; false when another incident holds it. */
export async function acquireOpenIncidentLock(
  modelId: string,
  incidentId: string,
  openedAt: string,
  kind: IncidentKind = 'breach',
): Promise<boolean> {
  try {
    await dynamoDb.send(
      new PutCommand({
        TableName: table,
        Item: { ...keys.openIncidentLock(modelId, kind), modelId, incidentId, openedAt },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** Releases the model's lock of a kind if `incidentId` holds it (idempotent). */
export async function releaseOpenIncidentLock(
  modelId: string,
  incidentId: string,
  kind: IncidentKind = 'breach',
): Promise<void> {
  try {
    await dynamoDb.send(
      new DeleteCommand({
        TableName: table,
        Key: keys.openIncidentLock(modelId, kind),
        ConditionExpression: 'incidentId = :id',
        ExpressionAttributeValues: { ':id': incidentId },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/**
 * Breach evaluations an incident lists by id (the first ones): an incident open for long under a
 * frequent schedule would otherwise outgrow its item. Each later evaluation still names the
 * incident (`incidentId`) and is in the audit trail.
 */
export const MAX_LISTED_EVALUATIONS = 100;

/**
 * Adds a breach evaluation to an open incident once: `attached`, `unlisted` when the incident
 * lists {@link MAX_LISTED_EVALUATIONS} already, or false when it was attached before or it closed.
 */
export async function attachEvaluation(
  incidentId: string,
  evaluationId: string,
): Promise<'attached' | 'unlisted' | false> {
  try {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.incident(incidentId),
        UpdateExpression: 'SET evaluations = list_append(evaluations, :ids), updatedAt = :now',
        ConditionExpression:
          '#status = :open AND NOT contains(evaluations, :id) AND size(evaluations) < :most',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':ids': [evaluationId],
          ':id': evaluationId,
          ':open': 'open',
          ':most': MAX_LISTED_EVALUATIONS,
          ':now': new Date().toISOString(),
        },
      }),
    );
    return 'attached';
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
  const incident = await getIncident(incidentId);
  const full =
    incident?.status === 'open' &&
    !incident.evaluations.includes(evaluationId) &&
    incident.evaluations.length >= MAX_LISTED_EVALUATIONS;
  return full ? 'unlisted' : false;
}

/** What the retraining step keeps while it waits for a candidate; the token never leaves the server. */
export interface CandidateTask {
  readonly taskToken: string;
  readonly requestedAt: string;
  readonly expiresAt: string;
  readonly cycle: number;
  /** Who was asked, and the request's reminder and timeout: what a late-confirmed address is sent. */
  readonly roles?: readonly Role[];
  readonly recipients?: readonly string[];
  readonly reminder?: number;
  readonly timeoutSeconds?: number;
}

export async function putCandidateTask(incidentId: string, task: CandidateTask): Promise<void> {
  await dynamoDb.send(
    new PutCommand({ TableName: table, Item: { ...keys.candidateTask(incidentId), incidentId, ...task } }),
  );
}

export async function getCandidateTask(incidentId: string): Promise<CandidateTask | undefined> {
  const { Item } = await dynamoDb.send(
    new GetCommand({ TableName: table, Key: keys.candidateTask(incidentId), ConsistentRead: true }),
  );
  return Item ? toCandidateTask(Item) : undefined;
}

/**
 * Takes the waiting candidate task `task`: a single delete, so of two concurrent submissions
 * exactly one gets the token, on the condition that the task is still that one and its expiry is
 * still after `cutoff` (`approvals/lapse.ts`): a task that lapsed since it was read stays. False
 * when it was not taken.
 */
export async function takeCandidateTask(
  incidentId: string,
  task: CandidateTask,
  cutoff: string,
): Promise<boolean> {
  try {
    await dynamoDb.send(
      new DeleteCommand({
        TableName: table,
        Key: keys.candidateTask(incidentId),
        ConditionExpression: 'taskToken = :token AND expiresAt > :cutoff',
        ExpressionAttributeValues: { ':token': task.taskToken, ':cutoff': cutoff },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** Puts a taken task back (when resuming the workflow failed for a passing reason), unless a newer one exists. */
export async function restoreCandidateTask(incidentId: string, task: CandidateTask): Promise<void> {
  try {
    await dynamoDb.send(
      new PutCommand({
        TableName: table,
        Item: { ...keys.candidateTask(incidentId), incidentId, ...task },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

export async function deleteCandidateTask(incidentId: string): Promise<void> {
  await dynamoDb.send(new DeleteCommand({ TableName: table, Key: keys.candidateTask(incidentId) }));
}

function toCandidateTask(item: Record<string, unknown>): CandidateTask {
  return {
    taskToken: item.taskToken as string,
    requestedAt: item.requestedAt as string,
    expiresAt: item.expiresAt as string,
    cycle: item.cycle as number,
    ...(Array.isArray(item.roles) ? { roles: item.roles as Role[] } : {}),
    ...(Array.isArray(item.recipients) ? { recipients: item.recipients as string[] } : {}),
    ...(typeof item.reminder === 'number' ? { reminder: item.reminder } : {}),
    ...(typeof item.timeoutSeconds === 'number' ? { timeoutSeconds: item.timeoutSeconds } : {}),
  };
}
