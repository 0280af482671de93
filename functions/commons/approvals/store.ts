import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '#clients/dynamodb';
import { queryAll } from '#clients/query';
import { requireEnv } from '#commons/config';
import { incidentKeys as keys } from '#commons/incidents/keys';
import { giveRecordPlaceBack, takeRecordPlace } from '#commons/incidents/record-counts';
import { INCIDENT_RECORD_LIMITS } from '#commons/incidents/record-limits';
import type { Role } from '#commons/incidents/types';
import { StepFailedError } from '#commons/workflow/errors';

const table = requireEnv('GOVERNANCE_TABLE');

/**
 * `pending` until someone decides (`decided`), the step times out or is asked again (`expired`),
 * the incident ends (`withdrawn`), or a decision came after the task stopped waiting (`lapsed`).
 */
export type ApprovalStatus = 'pending' | 'decided' | 'expired' | 'withdrawn' | 'lapsed';

/** A human step's request for a decision, as the API and pages show it (never with its task token). */
export interface ApprovalRecord {
  readonly approvalId: string;
  readonly incidentId: string;
  readonly modelId: string;
  readonly step: string;
  readonly kind: 'decision' | 'pir';
  readonly roles: readonly Role[];
  readonly options: readonly string[];
  /** The addresses links were signed for. */
  readonly recipients: readonly string[];
  readonly requestedAt: string;
  readonly expiresAt: string;
  readonly reminder: number;
  readonly cycle: number;
  readonly status: ApprovalStatus;
  readonly decision?: string;
  readonly comment?: string;
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  /** Form fields of the decision (the post-implementation review's). */
  readonly form?: Record<string, string>;
  /** Why it ended without a decision. */
  readonly closedReason?: string;
  /** An authorized agent's decision, waiting out its overrule window (`functions/commons/agents/`). */
  readonly agentDecision?: AgentDecision;
}

/** What an authorized agent decided on a pending approval, and when it takes effect. */
export interface AgentDecision {
  readonly decision: string;
  readonly comment: string;
  /** `agent:{keyId}` (`agent:admin` for the admin key): who the decision is recorded as. */
  readonly decidedBy: string;
  readonly keyId: string;
  readonly keyName?: string;
  readonly decidedAt: string;
  /** When it applies unless a person of the role decides first. */
  readonly effectiveAt: string;
  /** When the role was emailed about it. */
  readonly announcedAt?: string;
  /** Until when a scheduled tick holds the sending of those emails. */
  readonly announcingUntil?: string;
}

/** The id of the approval for a task token: the same invocation twice makes the same approval. */
export function approvalIdFor(taskToken: string): string {
  return `apr_${createHash('sha256').update(taskToken).digest('hex').slice(0, 32)}`;
}

/**
 * Takes a place for one more approval of the incident (`record-counts.ts`), before anything of the
 * request is written: past the bound the request fails its step (StepFailedError), and the
 * incident takes the failure path. {@link putApproval} gives it back if it writes nothing.
 */
export async function reserveApproval(incidentId: string, step: string): Promise<void> {
  if (!(await takeRecordPlace(incidentId, 'approvals'))) {
    const most = INCIDENT_RECORD_LIMITS.approvals.toLocaleString('en-US');
    throw new StepFailedError(
      `Incident ${incidentId} has asked for ${most} decisions, the most an incident keeps: the request for "${step}" is refused`,
    );
  }
}

/** Gives back the place {@link reserveApproval} took, for a request that wrote no approval. */
export async function giveApprovalPlaceBack(incidentId: string): Promise<void> {
  await giveRecordPlaceBack(incidentId, 'approvals');
}

/**
 * Stores a new approval with its task token, in the place {@link reserveApproval} took; false
 * when it exists already. The place is given back when nothing is written.
 */
export async function putApproval(approval: ApprovalRecord, taskToken: string): Promise<boolean> {
  let written = false;
  try {
    await dynamoDb.send(
      new PutCommand({
        TableName: table,
        Item: {
          ...keys.approval(approval.approvalId),
          gsi1pk: keys.approvalsIndex(approval.incidentId),
          gsi1sk: keys.approvalsIndexSort(approval.requestedAt, approval.approvalId),
          ...approval,
          taskToken,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    written = true;
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  } finally {
    if (!written) await giveRecordPlaceBack(approval.incidentId, 'approvals');
  }
}

/** The approval and, for whoever resumes the workflow, its task token. */
export async function getApproval(
  approvalId: string,
): Promise<{ approval: ApprovalRecord; taskToken: string } | undefined> {
  const { Item } = await dynamoDb.send(
    new GetCommand({ TableName: table, Key: keys.approval(approvalId), ConsistentRead: true }),
  );
  return Item ? { approval: toApproval(Item), taskToken: Item.taskToken as string } : undefined;
}

/**
 * Approvals of one incident read at most: bounded where they are written ({@link putApproval},
 * `record-limits.ts`), so a read never finds more.
 */
export const MAX_APPROVALS_PER_INCIDENT = INCIDENT_RECORD_LIMITS.approvals;

/** The approvals of an incident, oldest first, without their tokens, read page after page. */
export async function listApprovals(incidentId: string): Promise<ApprovalRecord[]> {
  const items = await queryAll(
    {
      TableName: table,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.approvalsIndex(incidentId) },
    },
    MAX_APPROVALS_PER_INCIDENT,
    `approvals of incident ${incidentId}`,
  );
  return items.map(toApproval);
}

/**
 * One page of an incident's approvals, oldest first, without their tokens: at most `limit` of them
 * and, one at least, `maxBytes` of their JSON together; the key to resume after the last one when
 * there may be more.
 */
export async function listApprovalPage(
  incidentId: string,
  options: { readonly limit: number; readonly maxBytes: number; readonly after?: Record<string, string> },
): Promise<{ approvals: ApprovalRecord[]; nextKey?: Record<string, string> }> {
  const approvals: ApprovalRecord[] = [];
  let bytes = 0;
  let last: Record<string, unknown> | undefined;
  let start: Record<string, unknown> | undefined = options.after;
  do {
    const page = await dynamoDb.send(
      new QueryCommand({
        TableName: table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.approvalsIndex(incidentId) },
        ExclusiveStartKey: start,
        Limit: options.limit - approvals.length,
      }),
    );
    for (const item of page.Items ?? []) {
      const approval = toApproval(item);
      const size = Buffer.byteLength(JSON.stringify(approval), 'utf8');
      if (approvals.length > 0 && bytes + size > options.maxBytes)
        return { approvals, nextKey: pageKey(last) };
      approvals.push(approval);
      bytes += size;
      last = item;
    }
    start = page.LastEvaluatedKey;
  } while (start && approvals.length < options.limit);
  return { approvals, ...(start && last ? { nextKey: pageKey(last) } : {}) };
}

function pageKey(item: Record<string, unknown> | undefined): Record<string, string> {
  const { pk, sk, gsi1pk, gsi1sk } = item as Record<string, string>;
  return { pk, sk, gsi1pk, gsi1sk } as Record<string, string>;
}

/** Whether a page key is one of the incident's approvals (see {@link listApprovalPage}). */
export function isApprovalPageKey(incidentId: string, key: Record<string, string>): boolean {
  return (
    key.gsi1pk === keys.approvalsIndex(incidentId) &&
    typeof key.gsi1sk === 'string' &&
    typeof key.pk === 'string' &&
    key.pk.startsWith('APPROVAL#') &&
    key.sk === '#APPROVAL' &&
    Object.keys(key).length === 4
  );
}

export interface DecisionClaim {
  readonly decision: string;
  readonly comment: string;
  readonly decidedBy: string;
  readonly decidedAt: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  readonly form?: Record<string, string>;
}

/**
 * Records a decision on a pending, unexpired approval in one conditional write: of two
 * decisions exactly one succeeds. False when the approval was no longer pending or its expiry was
 * not after `cutoff` (by default the decision's time; `lapse.ts` for a margin before it).
 */
export async function claimDecision(
  approvalId: string,
  claim: DecisionClaim,
  cutoff: string = claim.decidedAt,
): Promise<boolean> {
  const names: Record<string, string> = { '#status': 'status' };
  const values: Record<string, unknown> = {
    ':decided': 'decided',
    ':pending': 'pending',
    ':now': cutoff,
  };
  const sets = ['#status = :decided'];
  for (const [field, value] of Object.entries(claim)) {
    if (value === undefined) continue;
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    sets.push(`#${field} = :${field}`);
  }
  try {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.approval(approvalId),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: '#status = :pending AND expiresAt > :now',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** Undoes a claim whose decision could not be passed on for a passing reason, so it can be made again. */
export async function releaseClaim(approvalId: string, decidedAt: string): Promise<void> {
  try {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.approval(approvalId),
        UpdateExpression:
          'SET #status = :pending REMOVE decision, #comment, decidedBy, decidedAt, sourceIp, userAgent, form',
        ConditionExpression: '#status = :decided AND decidedAt = :decidedAt',
        ExpressionAttributeNames: { '#status': 'status', '#comment': 'comment' },
        ExpressionAttributeValues: { ':pending': 'pending', ':decided': 'decided', ':decidedAt': decidedAt },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/** Moves an approval from `from` to `to` with a reason; false when it was not in `from`. */
export async function closeApproval(
  approvalId: string,
  from: ApprovalStatus,
  to: Exclude<ApprovalStatus, 'pending' | 'decided'>,
  reason: string,
): Promise<boolean> {
  try {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.approval(approvalId),
        UpdateExpression: 'SET #status = :to, closedReason = :reason',
        ConditionExpression: '#status = :from',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':to': to, ':from': from, ':reason': reason },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** Closes every pending approval of an incident (of one step, when given); answers those closed. */
export async function closePendingApprovals(
  incidentId: string,
  to: 'expired' | 'withdrawn',
  reason: string,
  step?: string,
): Promise<ApprovalRecord[]> {
  const pending = (await listApprovals(incidentId)).filter(
    (approval) => approval.status === 'pending' && (step === undefined || approval.step === step),
  );
  const closed: ApprovalRecord[] = [];
  for (const approval of pending) {
    if (await closeApproval(approval.approvalId, 'pending', to, reason)) closed.push(approval);
  }
  return closed;
}

function toApproval(item: Record<string, unknown>): ApprovalRecord {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, taskToken: _token, ...approval } = item;
  return approval as unknown as ApprovalRecord;
}
