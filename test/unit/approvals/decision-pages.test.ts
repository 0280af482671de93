import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DecisionRow } from '../../../functions/commons/approvals/decision-pages.ts';

async function modules() {
  vi.resetModules();
  vi.stubEnv('VIGIL_SIGNING_SECRET', 'local-secret');
  vi.stubEnv('GOVERNANCE_TABLE', 'governance');
  return {
    pages: await import('../../../functions/commons/approvals/decision-pages.ts'),
    layout: await import('../../../functions/commons/html/layout.ts'),
    signing: await import('../../../functions/commons/approvals/signing.ts'),
  };
}

const decisions = Array.from({ length: 10 }, (_, i) => ({
  approvalId: `apr_${String(i).padStart(32, '0')}`,
  step: 'qa',
  decision: 'reject',
  comment: `comment ${i} ${'x'.repeat(90)}`,
  decidedBy: 'qa@example.com',
  decidedAt: `2026-01-01T00:${String(i).padStart(2, '0')}:00.000Z`,
}));

describe('pages listing decisions', () => {
  let m: Awaited<ReturnType<typeof modules>>;
  const list = {
    list: 'approval:apr_ffffffffffffffffffffffffffffffff',
    recipient: 'qa@example.com',
    expiresAt: '2026-02-01T00:00:00.000Z',
  };
  const recipients = ['dsl@example.com', 'qa@example.com'];
  beforeAll(async () => {
    m = await modules();
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  const row = (d: DecisionRow) => m.layout.tableRow([d.decidedAt, d.comment]);
  /** A page that is its rows, the count of earlier decisions and the next link. */
  const render = (slice: import('../../../functions/commons/approvals/decision-pages.ts').DecisionSlice) =>
    m.layout.page(
      200,
      'Decisions',
      m.layout
        .html`<table>${slice.rows}</table><p>${slice.earlier}</p>${m.pages.earlierDecisionsLink(slice)}`,
    );
  const page = (budget: number, atLeastOne = false) =>
    m.pages.pageWithDecisions(render, decisions, row, list, { budget, atLeastOne });
  const shown = (body: string) => [...body.matchAll(/comment (\d+)/g)].map((match) => Number(match[1]));
  const tokenOf = (body: string) =>
    new URLSearchParams(body.match(/href="\?([^"]+)"/)?.[1]?.replaceAll('&amp;', '&')).get('page') as string;

  it('lists every decision, with no link, while they fit: the page of a small incident is unchanged', async () => {
    const whole = render({ rows: decisions.map(row), earlier: 0 });
    const result = await page(m.pages.PAGE_BYTES);
    expect(result.body).toBe(whole.body);
    expect(shown(result.body)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(result.body).not.toContain('rel="next"');
  });

  it('lists the newest decisions that fit, oldest of them first, within the budget, and links to the earlier ones', async () => {
    const rowBytes = Buffer.byteLength(row(decisions[0] as (typeof decisions)[number]).value);
    const empty = Buffer.byteLength(render({ rows: [], earlier: 10, next: `?page=${'x'.repeat(80)}` }).body);
    const budget = empty + 4096 + 3 * rowBytes + 10;
    const result = await page(budget);
    expect(Buffer.byteLength(result.body)).toBeLessThanOrEqual(budget);
    expect(shown(result.body)).toEqual([7, 8, 9]);
    expect(result.body).toContain('<a href="?page=apr_00000000000000000000000000000007.');
    expect(result.body).toContain('>7 earlier decisions</a>');

    // The token opens the seven before, for the person it was signed for, and nothing else.
    const opened = await m.pages.decisionsBefore(tokenOf(result.body), decisions, { ...list, recipients });
    expect(opened.recipient).toBe('qa@example.com');
    expect(opened.decisions.map((d) => d.approvalId)).toEqual(decisions.slice(0, 7).map((d) => d.approvalId));
  });

  it('lists no row when none fits the first page, and at least one on a further page', async () => {
    const none = await page(1);
    expect(shown(none.body)).toEqual([]);
    expect(none.body).toContain('>10 earlier decisions</a>');
    const opened = await m.pages.decisionsBefore(tokenOf(none.body), decisions, { ...list, recipients });
    expect(opened.decisions).toHaveLength(10);

    const one = await page(1, true);
    expect(shown(one.body)).toEqual([9]);
  });

  it('refuses with 400 naming query.page a token that is not this list’s, for this expiry and one of these people', async () => {
    const token = tokenOf((await page(1)).body);
    const [place, signature] = token.split('.') as [string, string];
    const link = await m.signing.sign('link', {
      approvalId: list.list.slice('approval:'.length),
      recipient: 'qa@example.com',
      expiresAt: list.expiresAt,
    });
    const tampered = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    const refusals: [string, Parameters<typeof m.pages.decisionsBefore>[2]][] = [
      [`${place}.${tampered}`, { ...list, recipients }],
      [`apr_${'0'.repeat(32)}.${signature}`, { ...list, recipients }],
      [`newest.${link}`, { ...list, recipients }],
      [token, { ...list, list: 'approval:apr_eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee', recipients }],
      [token, { ...list, list: 'incident:inc_00000000000000000b01', recipients }],
      [token, { ...list, expiresAt: '2026-03-01T00:00:00.000Z', recipients }],
      [token, { ...list, recipients: ['dsl@example.com'] }],
      ['', { ...list, recipients }],
      [`${token}x`, { ...list, recipients }],
    ];
    for (const [given, where] of refusals) {
      await expect(m.pages.decisionsBefore(given, decisions, where), given).rejects.toMatchObject({
        statusCode: 400,
        issues: [{ path: 'query.page', message: 'not a page of this list' }],
      });
    }
    // A place that is no longer among the decisions (a signed place, but of another list of them).
    const seventh = tokenOf(
      (
        await page(
          Buffer.byteLength(render({ rows: [], earlier: 10, next: `?page=${'x'.repeat(80)}` }).body) +
            4096 +
            400,
        )
      ).body,
    );
    await expect(
      m.pages.decisionsBefore(seventh, decisions.slice(0, 3), { ...list, recipients }),
    ).rejects.toMatchObject({
      statusCode: 400,
    });
  });
});
