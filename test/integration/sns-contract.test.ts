import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipientFilterPolicy } from '../../functions/commons/notifier/port.ts';
import { SnsNotifier, SnsSubscriptions } from '../../functions/commons/notifier/sns.ts';

/** moto_server on PATH, or undefined: the contract test needs it and is skipped without it. */
function motoServer(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const moto = motoServer();
if (!moto) console.warn('SNS contract test skipped: moto_server is not on PATH (pip install "moto[server]")');
const title = moto
  ? 'SNS contract: the adapters against moto_server'
  : 'SNS contract: the adapters against moto_server (skipped: moto_server is not on PATH; pip install "moto[server]")';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The SNS calls Vigil makes, against moto's SNS and SQS: subscriptions with the recipient filter
 * policy (one per address), their listing and removal, and publishing through the notifier, with
 * an SQS queue subscribed under the same filter policy as each email address receiving only its
 * own messages.
 */
describe.skipIf(!moto)(title, () => {
  let server: ChildProcess;
  let endpoint: string;
  let client: SNSClient;
  let topicArn: string;

  /** An SQS Query API call (moto routes it by the credential scope's service name). */
  async function sqs(params: Record<string, string>): Promise<string> {
    const response = await fetch(`${endpoint}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization:
          'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: new URLSearchParams({ ...params, Version: '2012-11-05' }).toString(),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`SQS ${params.Action}: ${response.status} ${text}`);
    return text;
  }

  /** A queue subscribed to the topic with the filter policy of `address`. */
  async function queueFor(address: string): Promise<string> {
    const name = address.replace(/\W/g, '-');
    const url = /<QueueUrl>([^<]+)<\/QueueUrl>/.exec(
      await sqs({ Action: 'CreateQueue', QueueName: name }),
    )?.[1];
    if (!url) throw new Error('no queue URL');
    const attributes = await sqs({
      Action: 'GetQueueAttributes',
      QueueUrl: url,
      'AttributeName.1': 'QueueArn',
    });
    const arn = /<Value>(arn:[^<]+)<\/Value>/.exec(attributes)?.[1];
    await client.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: arn,
        Attributes: { FilterPolicy: JSON.stringify(recipientFilterPolicy(address)) },
      }),
    );
    return url;
  }

  async function received(queueUrl: string): Promise<string[]> {
    const messages: string[] = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      const body = await sqs({
        Action: 'ReceiveMessage',
        QueueUrl: queueUrl,
        MaxNumberOfMessages: '10',
        WaitTimeSeconds: '1',
      });
      for (const [, text] of body.matchAll(/<Body>([^<]*)<\/Body>/g)) {
        const decoded = (text ?? '')
          .replace(/&quot;/g, '"')
          .replace(/&amp;/g, '&')
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>');
        messages.push((JSON.parse(decoded) as { Message: string }).Message);
      }
    }
    return messages;
  }

  beforeAll(async () => {
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    server = spawn(moto as string, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    client = new SNSClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        ({ TopicArn: topicArn = '' } = await client.send(new CreateTopicCommand({ Name: 'Notifications' })));
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  });
  afterAll(() => {
    server?.kill();
  });

  it('keeps one subscription per address with its filter policy, lists it, and removes it', async () => {
    // Prepare
    const subscriptions = new SnsSubscriptions(topicArn, client);

    // Act
    const first = await subscriptions.subscribe('Ana@Example.com');
    const again = await subscriptions.subscribe('ana@example.com');
    const listed = await subscriptions.list();
    await subscriptions.unsubscribe(first.subscriptionArn as string);
    const after = await subscriptions.list();

    // Assess (moto confirms email subscriptions at once)
    expect(first).toMatchObject({ address: 'ana@example.com', state: 'confirmed' });
    expect(again.subscriptionArn).toBe(first.subscriptionArn);
    expect(listed).toEqual([
      { address: 'ana@example.com', state: 'confirmed', subscriptionArn: first.subscriptionArn },
    ]);
    expect(after).toEqual([]);
  });

  it('delivers each recipient only the messages published for it', async () => {
    // Prepare
    const ana = await queueFor('ana@example.com');
    const bo = await queueFor('bo@example.com');
    const notifier = new SnsNotifier(topicArn, client);

    // Act
    await notifier.send({
      to: ['Ana@Example.com', 'bo@example.com'],
      subject: 'Decide',
      text: 'your own link',
    });
    await notifier.send({ to: ['bo@example.com'], subject: 'Notice', text: 'for bo alone' });

    // Assess
    expect(await received(ana)).toEqual(['your own link']);
    expect((await received(bo)).sort()).toEqual(['for bo alone', 'your own link']);
  });
});
