import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const queueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/VigilData-WebhookQueue';
const sqs = mockClient(SQSClient);

async function load() {
  vi.resetModules();
  vi.stubEnv('WEBHOOK_QUEUE_URL', queueUrl);
  vi.stubEnv('GOVERNANCE_TABLE', 'governance');
  vi.stubEnv('VIGIL_SIGNING_SECRET', 'unit-secret');
  const delivery = await import('../../../functions/webhook-delivery.ts');
  const publish = await import('../../../functions/commons/webhooks/publish.ts');
  return {
    handler: delivery.handler as unknown as (e: SQSEvent, c: Context) => Promise<unknown>,
    ...publish,
  };
}

const context = { functionName: 'webhook-delivery', awsRequestId: 'r-1' } as Context;

function record(messageId: string, body: string): SQSEvent['Records'][number] {
  return {
    messageId,
    receiptHandle: messageId,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'x',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:VigilData-WebhookQueue',
    awsRegion: 'eu-west-1',
  };
}

const event = {
  id: 'msg_1',
  type: 'incident.opened' as const,
  timestamp: '2026-01-01T00:00:00.000Z',
  data: {},
};

describe('webhook delivery handler (SQS)', { timeout: 30_000 }, () => {
  beforeEach(() => sqs.reset());
  afterEach(() => vi.unstubAllEnvs());

  it('sends a delivery that is not due back with the rest of its wait, at most 900 s, unchanged', async () => {
    // Prepare: due in two hours, and in one minute.
    const { handler } = await load();
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
    const later = new Date(Date.now() + 2 * 3600_000).toISOString();
    const soon = new Date(Date.now() + 60_000).toISOString();
    const message = (notBefore: string) =>
      JSON.stringify({ kind: 'delivery', webhookId: 'wh_1', event, attempt: 7, notBefore });

    // Act
    const result = await handler(
      { Records: [record('a', message(later)), record('b', message(soon))] },
      context,
    );

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    const sent = sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
    expect(sent).toHaveLength(2);
    const byBody = new Map(sent.map((input) => [JSON.parse(input.MessageBody as string).notBefore, input]));
    expect(byBody.get(later)?.DelaySeconds).toBe(900);
    expect(byBody.get(later)?.QueueUrl).toBe(queueUrl);
    const soonDelay = byBody.get(soon)?.DelaySeconds as number;
    expect(soonDelay).toBeGreaterThan(0);
    expect(soonDelay).toBeLessThanOrEqual(60);
    expect(JSON.parse(byBody.get(later)?.MessageBody as string)).toEqual(JSON.parse(message(later)));
  });

  it('reports the messages it could not handle in batchItemFailures, and only those', async () => {
    // Prepare: one the queue refuses to take back, one that is not JSON, one that goes through.
    const { handler } = await load();
    const due = (id: string) =>
      JSON.stringify({
        kind: 'delivery',
        webhookId: 'wh_1',
        event: { ...event, id },
        attempt: 2,
        notBefore: new Date(Date.now() + 3600_000).toISOString(),
      });
    sqs.on(SendMessageCommand).callsFake((input: { MessageBody: string }) => {
      if (JSON.parse(input.MessageBody).event.id === 'msg_refused') throw new Error('throttled');
      return { MessageId: 'ok' };
    });

    // Act
    const result = await handler(
      {
        Records: [
          record('refused', due('msg_refused')),
          record('garbled', '{not json'),
          record('fine', due('msg_fine')),
        ],
      },
      context,
    );

    // Assess
    expect(result).toEqual({
      batchItemFailures: [{ itemIdentifier: 'refused' }, { itemIdentifier: 'garbled' }],
    });
  });

  it('publishes several events in one batch request, and never fails its caller', async () => {
    // Prepare
    const { publishEvents } = await load();
    sqs.on(SendMessageBatchCommand).resolvesOnce({ Successful: [], Failed: [] }).rejects(new Error('down'));

    // Act
    await publishEvents([
      { type: 'evaluation.breach', data: { modelId: 'm', reasons: ['x'.repeat(2000)] } },
      { type: 'incident.opened', data: { modelId: 'm', incidentId: 'inc_1' } },
    ]);
    const second = publishEvents([
      { type: 'incident.closed', data: { incidentId: 'inc_1' } },
      { type: 'model.promoted', data: { incidentId: 'inc_1' } },
    ]);

    // Assess
    await expect(second).resolves.toBeUndefined();
    const [first] = sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);
    expect(first?.QueueUrl).toBe(queueUrl);
    const bodies = (first?.Entries ?? []).map((entry) => JSON.parse(entry.MessageBody as string));
    expect(bodies.map((b) => [b.kind, b.event.type])).toEqual([
      ['event', 'evaluation.breach'],
      ['event', 'incident.opened'],
    ]);
    expect(bodies[0].event.id).toMatch(/^msg_[A-Za-z0-9_-]{27}$/);
    expect(bodies[0].event.id).not.toBe(bodies[1].event.id);
    expect(bodies[0].event.data.reasons[0]).toHaveLength(500);
  });

  it('splits many messages into batches of ten and fails when SQS refuses any', async () => {
    // Prepare
    const { SqsWebhookQueue } = await import('../../../functions/commons/webhooks/queue.ts');
    const queue = new SqsWebhookQueue(queueUrl, new SQSClient({}));
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const messages = Array.from({ length: 23 }, (_, i) => ({
      message: { kind: 'event' as const, event: { ...event, id: `msg_${i}` } },
      delaySeconds: 5,
    }));

    // Act
    await queue.send(messages);
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: 'm0', Code: 'InternalError', SenderFault: false }],
    });
    const refused = queue.send(messages.slice(0, 2));

    // Assess
    await expect(refused).rejects.toThrow(/refused 1 of 2/);
    const sizes = sqs
      .commandCalls(SendMessageBatchCommand)
      .slice(0, 3)
      .map((call) => call.args[0].input.Entries?.length);
    expect(sizes).toEqual([10, 10, 3]);
    expect(sqs.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries?.[0]?.DelaySeconds).toBe(5);
  });
});
