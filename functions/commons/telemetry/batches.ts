import { createHash, randomBytes } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '#clients/dynamodb';
import { HttpError } from '#commons/http';
import { telemetryKeys } from './keys.ts';
import { isConditionFailure } from './writes.ts';

/** How long a replayed batch id is recognised. */
const REMEMBER_SECONDS = 7 * 86400;

/** What a claim found: a new batch, the first answer of a finished one, or a failed one to resume. */
export type BatchClaim =
  | { readonly kind: 'new'; readonly token: string; readonly receivedAt: number }
  | { readonly kind: 'replay'; readonly response: Record<string, unknown> }
  | {
      readonly kind: 'resume';
      readonly token: string;
      /** When the batch was first claimed (epoch ms): the time of its records that have none. */
      readonly receivedAt: number;
      readonly completed: ReadonlySet<string>;
      /** What an earlier attempt recorded with {@link BatchLedger.recordPlan}, if any. */
      readonly plan?: readonly string[];
    };

/**
 * JSON with every object's keys in UTF-16 code-unit order and `undefined` members left out, so
 * equal content reads the same. Its SHA-256 binds a batch id to its content in the ledger (and
 * keys batches of actuals without one), so the text must never change from one version to the
 * next. It runs on every request with a batch id: a copy of the value with its keys inserted
 * in order, written by JSON.stringify, is the same text several times faster than a writer in
 * JavaScript, which remains for what the copy cannot hold (see {@link sortedCopy}).
 */
function canonicalJson(value: unknown): string {
  const copy = sortedCopy(value);
  return copy === UNSORTABLE ? writeCanonical(value) : (JSON.stringify(copy) ?? '');
}

/** The canonical JSON writer, one value at a time. */
function writeCanonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? '';
  if (Array.isArray(value)) return `[${value.map(writeCanonical).join(',')}]`;
  // The default sort compares UTF-16 code units, as `<` does; own keys are distinct.
  const object = value as Record<string, unknown>;
  const members: string[] = [];
  for (const key of Object.keys(object).sort()) {
    if (object[key] !== undefined) members.push(`${JSON.stringify(key)}:${writeCanonical(object[key])}`);
  }
  return `{${members.join(',')}}`;
}

const UNSORTABLE = Symbol('unsortable');
const ARRAY_INDEX = /^(?:0|[1-9]\d{0,9})$/;

/**
 * A copy of a JSON value whose objects have their keys inserted in code-unit order, or
 * UNSORTABLE when JSON.stringify would write the copy otherwise than {@link writeCanonical}: an
 * object key that may be an array index (objects list those first, in numeric order) or
 * `__proto__` (which an assignment would not copy), an `undefined` array member (written
 * `null`), or an object that is not a plain one (`toJSON`).
 */
function sortedCopy(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      if (value[i] === undefined) return UNSORTABLE;
      const member = sortedCopy(value[i]);
      if (member === UNSORTABLE) return UNSORTABLE;
      out[i] = member;
    }
    return out;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return UNSORTABLE;
  const object = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(object).sort()) {
    if (key === '__proto__' || ARRAY_INDEX.test(key)) return UNSORTABLE;
    const member = object[key];
    if (member === undefined) continue;
    const copy = sortedCopy(member);
    if (copy === UNSORTABLE) return UNSORTABLE;
    out[key] = copy;
  }
  return out;
}

const fingerprints = new WeakMap<object, string>();

/**
 * The SHA-256 of a request's canonical JSON: what a batch id is bound to. Kept per request
 * object, so the check before a request's first write and its claim hash it once.
 */
export function fingerprint(request: unknown): string {
  const known = typeof request === 'object' && request !== null ? fingerprints.get(request) : undefined;
  if (known !== undefined) return known;
  const print = createHash('sha256').update(canonicalJson(request)).digest('base64url');
  if (typeof request === 'object' && request !== null) fingerprints.set(request, print);
  return print;
}

function reused(batchId: string): HttpError {
  return new HttpError(
    422,
    'idempotency_key_reused',
    `Batch ${batchId} was first sent with other content; nothing was written`,
    [{ path: 'batchId', message: 'already used for a request with other content; use a new batch id' }],
  );
}

function inProgress(batchId: string): HttpError {
  return new HttpError(409, 'batch_in_progress', `Batch ${batchId} is being processed; retry shortly`, [
    { path: 'batchId', message: 'a request with this batch id is in progress' },
  ]);
}

/**
 * Idempotency for a batch id: the first request claims it with a lease and binds it to the
 * request's fingerprint; a replay of a finished batch gets the first answer and changes nothing;
 * a request with other content under the same id is refused (422, as the IETF Idempotency-Key
 * draft says); a replay while the first is still running is told to retry (409); a batch whose
 * earlier attempt failed half way resumes, skipping the writes that attempt recorded as applied.
 *
 * Each claim of a new batch draws a random `token` that its attempts share: writes that mark
 * items as this batch's (a joined actual) carry it, so a resumed attempt recognises them.
 */
export class BatchLedger {
  constructor(
    private readonly table: string,
    private readonly leaseSeconds = 60,
  ) {}

  /**
   * Refuses (422) a batch id the ledger holds for other content, reading only: for what a request
   * must check before its first write, such as admitting new names ahead of its claim.
   */
  async refuseReused(
    modelId: string,
    kind: string,
    batchId: string,
    requestFingerprint: string,
  ): Promise<void> {
    const { Item } = await dynamoDb.send(
      new GetCommand({
        TableName: this.table,
        Key: telemetryKeys.batch(modelId, kind, batchId),
        ConsistentRead: true,
      }),
    );
    if (Item?.fingerprint !== undefined && Item.fingerprint !== requestFingerprint) throw reused(batchId);
  }

  /**
   * Claims a batch. With `rerunFinished`, a finished batch is claimed again as a new one (with
   * a new token) instead of replayed: for batches keyed by their content, where sending the same
   * content again is a new request.
   */
  async claim(
    modelId: string,
    kind: string,
    batchId: string,
    requestFingerprint: string,
    options: { rerunFinished?: boolean } = {},
  ): Promise<BatchClaim> {
    const Key = telemetryKeys.batch(modelId, kind, batchId);
    const receivedAt = Date.now();
    const now = Math.floor(receivedAt / 1000);
    const token = randomBytes(12).toString('base64url');
    // Each write of this claim carries `attempt`: when a write's connection drops after DynamoDB
    // applied it, the SDK's retry fails its condition, and the attempt tells that it was ours.
    const attempt = randomBytes(12).toString('base64url');
    const ours = async () => {
      const { Item } = await dynamoDb.send(
        new GetCommand({ TableName: this.table, Key, ConsistentRead: true }),
      );
      return Item?.attempt === attempt ? Item : undefined;
    };
    try {
      await dynamoDb.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...Key,
            status: 'in_progress',
            leaseUntil: now + this.leaseSeconds,
            completed: [],
            fingerprint: requestFingerprint,
            token,
            attempt,
            receivedAt,
            expiresAt: now + REMEMBER_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { kind: 'new', token, receivedAt };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      if (await ours()) return { kind: 'new', token, receivedAt };
    }
    const { Item } = await dynamoDb.send(
      new GetCommand({ TableName: this.table, Key, ConsistentRead: true }),
    );
    if (!Item) throw inProgress(batchId);
    // Ledger items written before fingerprints were kept have none: they match any content.
    if (Item.fingerprint !== undefined && Item.fingerprint !== requestFingerprint) throw reused(batchId);
    if (Item.status === 'done' && !options.rerunFinished) {
      return { kind: 'replay', response: Item.response as Record<string, unknown> };
    }
    const leaseUntil = Number(Item.leaseUntil ?? 0);
    if (Item.status !== 'done' && leaseUntil > now) throw inProgress(batchId);
    const rerun = Item.status === 'done';
    // A batch claimed before tokens were kept: its deltas' keys derive from its id.
    const next = rerun ? token : String(Item.token ?? batchId);
    try {
      await dynamoDb.send(
        new UpdateCommand({
          TableName: this.table,
          Key,
          UpdateExpression: rerun
            ? 'SET leaseUntil = :lease, attempt = :attempt, #status = :inProgress, completed = :none, #token = :token, receivedAt = :receivedAt, expiresAt = :expires REMOVE #response, #plan'
            : 'SET leaseUntil = :lease, attempt = :attempt',
          ConditionExpression: '#status = :status AND leaseUntil = :old',
          ExpressionAttributeNames: {
            '#status': 'status',
            ...(rerun ? { '#token': 'token', '#response': 'response', '#plan': 'plan' } : {}),
          },
          ExpressionAttributeValues: {
            ':lease': now + this.leaseSeconds,
            ':attempt': attempt,
            ':old': Item.leaseUntil ?? 0,
            ':status': Item.status,
            ...(rerun
              ? {
                  ':inProgress': 'in_progress',
                  ':none': [],
                  ':token': token,
                  ':receivedAt': receivedAt,
                  ':expires': now + REMEMBER_SECONDS,
                }
              : {}),
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      if (!(await ours())) throw inProgress(batchId);
    }
    if (rerun) return { kind: 'new', token, receivedAt };
    return {
      kind: 'resume',
      token: next,
      receivedAt: Number(Item.receivedAt ?? receivedAt),
      completed: new Set((Item.completed as string[] | undefined) ?? []),
      ...(Array.isArray(Item.plan) ? { plan: Item.plan as string[] } : {}),
    };
  }

  /**
   * Records a decision the first attempt made from what it read (which records it found nothing
   * for), so that every later attempt of the batch makes the same one.
   */
  async recordPlan(modelId: string, kind: string, batchId: string, plan: readonly string[]): Promise<void> {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: this.table,
        Key: telemetryKeys.batch(modelId, kind, batchId),
        UpdateExpression: 'SET #plan = :plan',
        ExpressionAttributeNames: { '#plan': 'plan' },
        ExpressionAttributeValues: { ':plan': [...plan] },
      }),
    );
  }

  /** Records what a failed attempt applied and releases the lease, so a retry resumes at once. */
  async release(modelId: string, kind: string, batchId: string, completed: readonly string[]): Promise<void> {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: this.table,
        Key: telemetryKeys.batch(modelId, kind, batchId),
        UpdateExpression: 'SET completed = :completed, leaseUntil = :zero',
        ExpressionAttributeValues: { ':completed': [...completed], ':zero': 0 },
      }),
    );
  }

  async complete(
    modelId: string,
    kind: string,
    batchId: string,
    response: Record<string, unknown>,
  ): Promise<void> {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: this.table,
        Key: telemetryKeys.batch(modelId, kind, batchId),
        UpdateExpression: 'SET #status = :done, #response = :response REMOVE completed',
        ExpressionAttributeNames: { '#status': 'status', '#response': 'response' },
        ExpressionAttributeValues: { ':done': 'done', ':response': response },
      }),
    );
  }
}
