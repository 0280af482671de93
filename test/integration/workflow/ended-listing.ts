import { QueryCommand } from '@aws-sdk/lib-dynamodb';

/**
 * The ended-incident index against the incidents themselves: `ended`, every incident with an end
 * time, as `{closedAt}#{incidentId}` in `ENDED#{modelId}`, from the incident records; `indexed`,
 * what the ended index holds for those models. Equal when every path that ended an incident put
 * it in its model's partition in the write that ended it.
 */
export async function endedListing(): Promise<{ ended: string[]; indexed: string[] }> {
  // The functions' own modules, loaded by the runtime with its environment.
  const { listIncidents } = await import('../../../functions/commons/incidents/store.ts');
  const { dynamoDb } = await import('../../../functions/commons/clients/dynamodb.ts');
  const all = await listIncidents({ limit: 10_000 });
  const ended = all
    .filter((i) => i.status !== 'open' && i.closedAt)
    .map((i) => `ENDED#${i.modelId} ${i.closedAt}#${i.incidentId}`);
  const indexed: string[] = [];
  for (const modelId of new Set(all.map((i) => i.modelId))) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await dynamoDb.send(
        new QueryCommand({
          TableName: process.env.GOVERNANCE_TABLE,
          IndexName: 'ended',
          KeyConditionExpression: 'endedpk = :pk',
          ExpressionAttributeValues: { ':pk': `ENDED#${modelId}` },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) indexed.push(`${item.endedpk} ${item.endedsk}`);
      start = page.LastEvaluatedKey;
    } while (start);
  }
  return { ended: ended.sort(), indexed: indexed.sort() };
}
