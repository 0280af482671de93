import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { LocalWebhookQueue, type Timer } from '../../../local/webhooks.ts';

/** Waits recorded, callbacks run at once: the queue's delays without wall-clock waits. */
function recordingTimer(waits: number[]): Timer {
  return (callback, ms) => {
    waits.push(ms);
    const handle = setImmediate(callback);
    return () => clearImmediate(handle);
  };
}

const event = {
  id: 'msg_1',
  type: 'incident.opened' as const,
  timestamp: '2026-01-01T00:00:00.000Z',
  data: {},
};

describe('the local webhook queue (SQS stand-in)', () => {
  it('hands each message to the handler after its delay, as an SQS event with its receive count', async () => {
    // Prepare
    const waits: number[] = [];
    const seen: SQSEvent[] = [];
    const queue = new LocalWebhookQueue({
      handler: async (e) => {
        seen.push(e);
        return { batchItemFailures: [] };
      },
      timer: recordingTimer(waits),
    });

    // Act
    await queue.send([{ message: { kind: 'event', event }, delaySeconds: 20 }]);
    await queue.idle();

    // Assess
    expect(waits).toEqual([20_000]);
    expect(seen).toHaveLength(1);
    expect(JSON.parse(seen[0]?.Records[0]?.body ?? '')).toEqual({ kind: 'event', event });
    expect(seen[0]?.Records[0]?.attributes.ApproximateReceiveCount).toBe('1');
    await expect(queue.send([{ message: { kind: 'event', event }, delaySeconds: 901 }])).rejects.toThrow(
      /0 to 900/,
    );
    await queue.close();
  });

  it('receives a failed message again after the visibility timeout, five times, then dead-letters it', async () => {
    // Prepare
    const waits: number[] = [];
    const counts: string[] = [];
    const print: string[] = [];
    const queue = new LocalWebhookQueue({
      handler: async (e) => {
        const record = e.Records[0];
        counts.push(record?.attributes.ApproximateReceiveCount ?? '');
        return { batchItemFailures: [{ itemIdentifier: record?.messageId ?? '' }] };
      },
      timer: recordingTimer(waits),
      print: (line) => print.push(line),
    });

    // Act
    await queue.send([{ message: { kind: 'event', event } }]);
    await queue.idle();

    // Assess
    expect(counts).toEqual(['1', '2', '3', '4', '5']);
    expect(waits).toEqual([0, 30_000, 30_000, 30_000, 30_000]);
    expect(queue.deadLetters.map((body) => JSON.parse(body))).toEqual([{ kind: 'event', event }]);
    expect(print).toEqual(['webhooks (local): a message went to the dead-letter list after 5 receives']);
    await queue.close();
  });
});
