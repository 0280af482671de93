import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '#clients/dynamodb';
import { queryItems } from '#clients/query';
import { requestLapsed } from '#commons/approvals/lapse';
import { requireEnv } from '#commons/config';
import { governanceKeys } from '../registry/keys.ts';
import { incidentKeys } from './keys.ts';

const table = requireEnv('GOVERNANCE_TABLE');

/**
 * Undoing what a submission to a waiting step (a candidate, a new baseline) stored before the
 * workflow refused it: Step Functions cannot take part in a DynamoDB write, so a step that stops
 * waiting between the write and the resume is found out only by the resume. What the submission
 * stored is then taken back, each write on the condition that it is still the submission's own,
 * and the audit trail, which is only ever added to, records the lapse after the submission.
 */

/**
 * Whether a resume the engine refused as "not waiting" surely did not take the answer: the
 * incident ended, or the request has lapsed (Step Functions times a step out at most a moment
 * before its request expires). Otherwise the refusal is ambiguous: a call whose answer was lost
 * and that the SDK sent again is refused although the first one resumed the task. What the answer
 * stored is then left in place, as the workflow may be using it.
 */
export async function surelyNotTaken(
  incidentId: string,
  request: { readonly requestedAt: string; readonly expiresAt: string },
): Promise<boolean> {
  if (requestLapsed(request)) return true;
  const { Item } = await dynamoDb.send(
    new GetCommand({ TableName: table, Key: incidentKeys.incident(incidentId), ConsistentRead: true }),
  );
  return Item?.status !== 'open';
}

function ignoreChanged(error: unknown): void {
  if (!(error instanceof ConditionalCheckFailedException)) throw error;
}

/**
 * Takes back a version the submission registered: its record (if it is still the one registered
 * at `createdAt`), and production, when registering it made it production (`madeProduction`: the
 * model had none).
 */
export async function withdrawVersion(
  modelId: string,
  version: string,
  createdAt: string,
  madeProduction: boolean,
): Promise<void> {
  await dynamoDb
    .send(
      new DeleteCommand({
        TableName: table,
        Key: governanceKeys.version(modelId, version),
        ConditionExpression: 'createdAt = :createdAt',
        ExpressionAttributeValues: { ':createdAt': createdAt },
      }),
    )
    .catch(ignoreChanged);
  if (!madeProduction) return;
  await dynamoDb
    .send(
      new UpdateCommand({
        TableName: table,
        Key: governanceKeys.model(modelId),
        UpdateExpression: 'REMOVE productionVersion',
        ConditionExpression: 'productionVersion = :version AND attribute_not_exists(previousVersion)',
        ExpressionAttributeValues: { ':version': version },
      }),
    )
    .catch(ignoreChanged);
}

/**
 * Puts an incident's `field` back to `previous` (removes it when there was none), on the condition
 * that the submission's value is still there: `field.{path}` equals `value`. The incident may have
 * ended meanwhile (that is one reason its step stopped waiting); it is put back all the same.
 */
export async function restoreIncidentField(
  incidentId: string,
  field: string,
  previous: unknown,
  owned: { readonly path: readonly string[]; readonly value: string | number },
): Promise<void> {
  const names: Record<string, string> = { '#field': field };
  owned.path.forEach((part, i) => {
    names[`#p${i}`] = part;
  });
  const ownedPath = ['#field', ...owned.path.map((_, i) => `#p${i}`)].join('.');
  await dynamoDb
    .send(
      new UpdateCommand({
        TableName: table,
        Key: incidentKeys.incident(incidentId),
        UpdateExpression:
          previous === undefined
            ? 'SET updatedAt = :now REMOVE #field'
            : 'SET #field = :previous, updatedAt = :now',
        ConditionExpression: `${ownedPath} = :owned`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: {
          ':owned': owned.value,
          ':now': new Date().toISOString(),
          ...(previous === undefined ? {} : { ':previous': previous }),
        },
      }),
    )
    .catch(ignoreChanged);
}

/** Deletes an item the submission added beside the incident (its candidate record). */
export async function deleteSubmittedItem(key: { readonly pk: string; readonly sk: string }): Promise<void> {
  await dynamoDb.send(new DeleteCommand({ TableName: table, Key: key }));
}

/**
 * Takes back a baseline the submission fitted without putting it in use: its reference profiles
 * and segment indexes, then its record. Its number is not used again.
 */
export async function withdrawBaseline(modelId: string, baselineVersion: number): Promise<void> {
  const { items } = await queryItems({
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': governanceKeys.baselineFeaturesPartition(modelId, baselineVersion) },
    ProjectionExpression: 'pk, sk',
    ConsistentRead: true,
  });
  for (const item of items) {
    await dynamoDb.send(new DeleteCommand({ TableName: table, Key: { pk: item.pk, sk: item.sk } }));
  }
  await dynamoDb.send(
    new DeleteCommand({ TableName: table, Key: governanceKeys.baseline(modelId, baselineVersion) }),
  );
}
