import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalOutbox } from '../../local/outbox.ts';

/** The local outbox as SNS email: confirmation first, nothing delivered before it. */
describe('local outbox subscriptions', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  async function outbox(confirm: 'auto' | 'manual', dir?: string) {
    const printed: string[] = [];
    const box = await LocalOutbox.open({
      confirm,
      print: (line) => printed.push(line),
      baseUrl: () => 'http://localhost:3000',
      ...(dir
        ? { file: path.join(dir, 'outbox.jsonl'), subscriptionsFile: path.join(dir, 'subscriptions.json') }
        : {}),
    });
    return { box, printed };
  }

  it('manual: sends a confirmation email, lists messages as undelivered and keeps their links off the console until confirmed', async () => {
    // Prepare
    const { box, printed } = await outbox('manual');

    // Act
    const pending = await box.emailSubscriptions.subscribe('Ana@Example.com');
    await box.send({
      to: ['ana@example.com'],
      subject: 'Decide',
      text: 'link',
      links: ['http://x/approvals/1?sig=s1'],
    });
    const token = new URL(box.list()[0]?.links[0] as string).searchParams.get('token') as string;
    const confirmed = await box.confirm(token);
    await box.send({
      to: ['Ana@Example.com'],
      subject: 'Decide again',
      text: 'link',
      links: ['http://x/approvals/2?sig=s2'],
    });
    const listed = await box.emailSubscriptions.list();

    // Assess
    expect(pending).toMatchObject({ address: 'ana@example.com', state: 'pending_confirmation' });
    expect(box.list().map((m) => [m.subject, m.delivered])).toEqual([
      ['AWS Notification - Subscription Confirmation', true],
      ['Decide', false],
      ['Decide again', true],
    ]);
    expect(box.list()[0]?.links[0]).toMatch(
      /^http:\/\/localhost:3000\/_local\/sns\/confirm\?token=[\w-]{43}$/,
    );
    expect(printed.join('\n')).not.toContain('sig=s1');
    expect(printed.join('\n')).toContain('sig=s2');
    expect(confirmed).toBe('ana@example.com');
    expect(listed).toEqual([
      { address: 'ana@example.com', state: 'confirmed', subscriptionArn: pending.subscriptionArn },
    ]);
    expect(await box.confirm('unknown')).toBeUndefined();
  });

  it('auto: confirms at once, says so, and sends no confirmation email; subscribing again keeps one subscription', async () => {
    // Prepare
    const { box, printed } = await outbox('auto');

    // Act
    const first = await box.emailSubscriptions.subscribe('bo@example.com');
    const again = await box.emailSubscriptions.subscribe('BO@example.com');

    // Assess
    expect(first.state).toBe('confirmed');
    expect(again.subscriptionArn).toBe(first.subscriptionArn);
    expect(box.list()).toEqual([]);
    expect(printed).toEqual([
      'SNS (local): bo@example.com subscribed and confirmed at once (VIGIL_CONFIRM_SUBSCRIPTIONS=auto)',
    ]);
  });

  it('keeps subscriptions across a restart, and an unsubscribe link ends one', async () => {
    // Prepare
    const dir = await mkdtemp(path.join(tmpdir(), 'vigil-outbox-'));
    dirs.push(dir);
    const { box } = await outbox('auto', dir);
    await box.emailSubscriptions.subscribe('cy@example.com');
    await box.send({ to: ['cy@example.com'], subject: 'Notice', text: 'text' });
    await box.flush();

    // Act
    const { box: reopened } = await outbox('manual', dir);
    const unsubscribe = new URL(reopened.list()[0]?.unsubscribe as string).searchParams.get(
      'token',
    ) as string;
    const before = await reopened.emailSubscriptions.list();
    const gone = await reopened.unsubscribeByLink(unsubscribe);

    // Assess
    expect(before.map((s) => [s.address, s.state])).toEqual([['cy@example.com', 'confirmed']]);
    expect(gone).toBe('cy@example.com');
    expect(await reopened.emailSubscriptions.list()).toEqual([]);
  });
});
