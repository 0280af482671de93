import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { emailSubject, SnsNotifier } from '../../../functions/commons/notifier/sns.ts';

const sns = mockClient(SNSClient);
const topicArn = 'arn:aws:sns:eu-west-1:123456789012:Notifications';

describe('SNS notifier', () => {
  beforeEach(() => {
    sns.reset();
  });

  it('publishes one message per recipient, each with its lower-cased address as the recipient attribute', async () => {
    // Prepare
    sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
    const notifier = new SnsNotifier(topicArn, new SNSClient({}));

    // Act
    await notifier.send({
      to: ['Ana@Example.com', 'bo@example.com'],
      subject: 'Decide',
      text: 'Body with a link',
    });

    // Assess
    expect(sns).toReceiveCommandTimes(PublishBatchCommand, 1);
    expect(sns).toReceiveCommandWith(PublishBatchCommand, {
      TopicArn: topicArn,
      PublishBatchRequestEntries: [
        {
          Id: 'm0',
          Subject: 'Decide',
          Message: 'Body with a link',
          MessageAttributes: { recipient: { DataType: 'String', StringValue: 'ana@example.com' } },
        },
        {
          Id: 'm1',
          Subject: 'Decide',
          Message: 'Body with a link',
          MessageAttributes: { recipient: { DataType: 'String', StringValue: 'bo@example.com' } },
        },
      ],
    });
  });

  it('sends batches of at most ten and names the recipients SNS refused', async () => {
    // Prepare
    sns
      .on(PublishBatchCommand)
      .resolvesOnce({ Failed: [{ Id: 'm3', Code: 'Throttled', SenderFault: false, Message: 'slow down' }] })
      .resolves({});
    const notifier = new SnsNotifier(topicArn, new SNSClient({}));
    const to = Array.from({ length: 12 }, (_, i) => `p${i}@example.com`);

    // Act
    const sent = notifier.send({ to, subject: 'Alert', text: 'Alert' });

    // Assess
    await expect(sent).rejects.toThrow('SNS refused 1 of 12 messages: p3@example.com: Throttled slow down');
    expect(sns).toReceiveCommandTimes(PublishBatchCommand, 2);
    const sizes = sns
      .commandCalls(PublishBatchCommand)
      .map((call) => call.args[0].input.PublishBatchRequestEntries?.length);
    expect(sizes).toEqual([10, 2]);
  });

  it('keeps email subjects within what SNS accepts: one line, no control characters, under 100 characters', () => {
    // Act
    const lines = emailSubject('Line one\nline two\r\n\tthree\u2028four');
    const controls = emailSubject(
      '[Vigil] Model\u0000 \u0007bell\u001b[31m red\u007f\u0085 \u202eevil\u202c',
    );
    const lone = emailSubject('[Vigil] half \ud83d pair');
    const long = emailSubject('x'.repeat(150));
    const short = emailSubject('x'.repeat(99));

    // Assess
    expect(lines).toBe('Line one line two three four');
    expect(controls).toBe('[Vigil] Model bell [31m red evil');
    expect(controls).not.toMatch(/[\p{Cc}\u202a-\u202e]/u);
    expect(lone).toBe('[Vigil] half \ufffd pair');
    expect(long).toHaveLength(99);
    expect(long.endsWith('x…')).toBe(true);
    expect(short).toBe('x'.repeat(99));
  });

  it('shortens a Unicode name between graphemes: no broken surrogate pair, emoji sequence or accent', () => {
    // Prepare: every cut position lands once in each kind of grapheme.
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}'; // 8 code units, one grapheme
    const subjects = Array.from(
      { length: 12 },
      (_, pad) => `${'a'.repeat(85 + pad)}${'\u{1F600}'.repeat(3)}${family}e\u0301${'z'.repeat(20)}`,
    );

    for (const subject of subjects) {
      // Act
      const cut = emailSubject(subject);

      // Assess
      expect(cut.length).toBeLessThanOrEqual(99);
      expect(cut.endsWith('…')).toBe(true);
      expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
      const kept = cut.slice(0, -1);
      expect(subject.startsWith(kept)).toBe(true);
      const graphemes = [...new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(subject)].map(
        (g) => g.index,
      );
      expect(graphemes).toContain(kept.length);
    }
  });

  it('builds no grapheme segmenter at load, only for the first subject too long to keep whole', async () => {
    // Prepare: a fresh copy of the module, with the segmenters built counted.
    vi.resetModules();
    const Segmenter = Intl.Segmenter;
    const intl = Intl as { Segmenter: typeof Intl.Segmenter };
    let built = 0;
    intl.Segmenter = class extends Segmenter {
      constructor(...args: ConstructorParameters<typeof Segmenter>) {
        super(...args);
        built++;
      }
    };
    try {
      // Act
      const fresh = await import('../../../functions/commons/notifier/subject.ts');
      const atLoad = built;
      const short = fresh.emailSubject('[Vigil] model: incident closed');
      const afterShort = built;
      const long = [fresh.emailSubject('y'.repeat(150)), fresh.emailSubject('z'.repeat(150))];

      // Assess
      expect(atLoad).toBe(0);
      expect(short).toBe('[Vigil] model: incident closed');
      expect(afterShort).toBe(0);
      expect(long).toEqual([`${'y'.repeat(98)}…`, `${'z'.repeat(98)}…`]);
      expect(built).toBe(1);
    } finally {
      intl.Segmenter = Segmenter;
    }
  });
});
