import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvers, startTestApi, type TestApi } from '../support/api.ts';

/**
 * The pages a person opens from an email, for an incident at its limits: 1,000 requests for a
 * decision (999 decided with the longest comment, made of a character HTML escapes in 6 bytes,
 * and the one pending that the link is about), 200 candidates and their re-validation reports.
 * Each page stays within its byte budget, still shows what the link is about, and its next-page
 * links go through every earlier decision exactly once, read-only.
 */
describe('approval and incident pages at the limits of an incident', () => {
  let api: TestApi;
  const modelId = 'm-page-bounds';
  const incidentId = 'inc_00000000000000000b01';
  const otherIncidentId = 'inc_00000000000000000b02';
  const pendingId = `apr_${'f'.repeat(32)}`;
  const otherPendingId = `apr_${'e'.repeat(32)}`;
  const decided = 999;
  /** The longest comment, each character escaped to `&quot;` (6 bytes), numbered to be found. */
  const comment = (i: number) => `#${i}#${'"'.repeat(4000 - `#${i}#`.length)}`;
  const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
  let link: string;
  let viewLink: string;

  /** The numbers of the decisions a page lists, in page order. */
  const listed = (page: string) =>
    [...page.matchAll(/<td>#(\d+)#(?:&quot;)+<\/td>/g)].map((m) => Number(m[1]));
  const nextLink = (page: string) =>
    page.match(/<a href="(\?[^"]+)" rel="next">/)?.[1]?.replaceAll('&amp;', '&');
  const pathOf = (url: string) => {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  };
  async function get(path: string): Promise<{ status: number; text: string; bytes: number }> {
    const response = await api.call('GET', path, { key: null });
    const text = String(response.body);
    return { status: response.status, text, bytes: Buffer.byteLength(text, 'utf8') };
  }

  beforeAll(async () => {
    api = await startTestApi();
    const model = await api.call('PUT', `/v1/models/${modelId}`, {
      body: {
        name: 'Model at the limits',
        owner: 'ds@example.com',
        task: 'classification',
        features: [{ name: 'age', type: 'numerical' }],
        approvers,
      },
    });
    expect(model.status).toBe(201);
    const { putNewIncident, addIncidentRecord } = await import('../../functions/commons/incidents/store.ts');
    const { putApproval } = await import('../../functions/commons/approvals/store.ts');
    const candidate = (cycle: number) => ({
      version: `1.${cycle}.0`,
      artifactUri: `s3://models/${'"'.repeat(2000)}`,
      metrics: { accuracy: 0.9 },
      scopeChanged: false,
      notes: '"'.repeat(10_000),
      productionVersion: '1.0.0',
      cycle,
      submittedAt: new Date(Date.UTC(2026, 0, 1, 0, cycle)).toISOString(),
      submittedBy: 'admin',
    });
    const report = (cycle: number) => ({
      candidateVersion: `1.${cycle}.0`,
      productionVersion: '1.0.0',
      passed: true,
      checks: [],
      comparison: [{ metric: 'accuracy', candidate: 0.9, production: 0.85 }],
      checkedAt: new Date(Date.UTC(2026, 0, 1, 0, cycle, 30)).toISOString(),
    });
    for (const id of [incidentId, otherIncidentId]) {
      await putNewIncident({
        incidentId: id,
        modelId,
        kind: 'breach',
        version: '1.0.0',
        evaluations: [],
        reasons: ['accuracy 0.70 < 0.80'],
        status: 'open',
        currentStep: 'qa',
        history: [],
        openedAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
        retrainingCycles: 200,
        candidate: candidate(200),
        validationReport: report(200),
      });
    }
    // 200 candidates and reports, each an item of its own: the pages show the latest only.
    await inBatches(
      Array.from({ length: 200 }, (_, i) => i + 1),
      20,
      async (cycle) => {
        const c = candidate(cycle);
        await addIncidentRecord(incidentId, 'candidate', c.submittedAt, c);
        await addIncidentRecord(incidentId, 'validation', c.submittedAt, report(cycle), `v${cycle}`);
      },
    );
    const approval = (i: number) => ({
      approvalId: `apr_${String(i).padStart(32, '0')}`,
      incidentId,
      modelId,
      step: i % 2 ? 'qa' : 'investigate',
      kind: 'decision' as const,
      roles: [i % 2 ? ('qa' as const) : ('dataScienceLead' as const)],
      options: ['approve', 'reject'],
      recipients: ['qa@example.com', 'dsl@example.com'],
      requestedAt: new Date(Date.UTC(2026, 0, 2) + i * 60_000).toISOString(),
      expiresAt: new Date(Date.UTC(2026, 0, 3) + i * 60_000).toISOString(),
      reminder: 0,
      cycle: 1,
    });
    await inBatches(
      Array.from({ length: decided }, (_, i) => i),
      20,
      async (i) => {
        await putApproval(
          {
            ...approval(i),
            status: 'decided',
            decision: 'reject',
            comment: comment(i),
            decidedBy: 'qa@example.com',
            decidedAt: new Date(Date.UTC(2026, 0, 2) + i * 60_000 + 30_000).toISOString(),
          },
          `secret-task-token-${i}`,
        );
      },
    );
    const pending = {
      ...approval(decided),
      approvalId: pendingId,
      step: 'qa',
      roles: ['qa' as const],
      requestedAt: new Date().toISOString(),
      expiresAt,
      status: 'pending' as const,
    };
    await putApproval(pending, 'secret-task-token-pending');
    await putApproval(
      { ...pending, approvalId: otherPendingId, incidentId: otherIncidentId },
      'secret-task-token-other',
    );
    const { approvalLink } = await import('../../functions/commons/approvals/request.ts');
    link = pathOf(await approvalLink(pending, 'qa@example.com'));
    const views = await import('../../functions/commons/views/links.ts');
    viewLink = pathOf(await views.viewLink({ kind: 'incident', id: incidentId }, 'qa@example.com'));
  }, 300_000);
  afterAll(async () => api?.close());

  /** Follows a page's next links to the end: every page within the budget, read-only, formless. */
  async function followEarlier(path: string, first: string): Promise<number[][]> {
    const pages: number[][] = [];
    let next = nextLink(first);
    while (next) {
      const earlier = await get(`${path}${next}`);
      expect(earlier.status, earlier.text.slice(0, 2000)).toBe(200);
      expect(earlier.bytes).toBeLessThanOrEqual(1_000_000);
      expect(earlier.text).not.toMatch(/<form|name="token"|secret-task-token/);
      pages.push(listed(earlier.text));
      next = nextLink(earlier.text);
    }
    return pages;
  }

  /** Each page's decisions in time order, every page older than the one before, all of them once. */
  function expectEveryDecisionOnce(pages: number[][]): void {
    for (const [i, numbers] of pages.entries()) {
      expect(numbers.length, `page ${i + 1}`).toBeGreaterThan(0);
      expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
      if (i > 0) expect(numbers.at(-1)).toBeLessThan((pages[i - 1] as number[])[0] as number);
    }
    expect(pages.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: decided }, (_, i) => i));
  }

  it('answers the approval page within its budget, with the request and its form, then every earlier decision once, page by page', async () => {
    const { getApproval } = await import('../../functions/commons/approvals/store.ts');
    const before = await getApproval(pendingId);
    const first = await get(link);
    expect(first.status).toBe(200);
    expect(first.bytes).toBeLessThanOrEqual(1_000_000);
    expect(first.text).toContain('<h1>QA validation of the candidate</h1>');
    expect(first.text).toContain('<form method="post"');
    expect(first.text).toContain('name="token"');
    expect(first.text).not.toContain('secret-task-token');
    const numbers = listed(first.text);
    expect(numbers.length).toBeGreaterThan(0);
    // The newest decisions, the oldest of them first, and how many come before them.
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => decided - numbers.length + i));
    expect(first.text).toContain(`${decided - numbers.length} earlier decisions`);
    // The next link carries a page token: neither the link's signature nor the form token.
    const next = nextLink(first.text) as string;
    const sig = new URL(link, 'http://x').searchParams.get('sig') as string;
    const formToken = first.text.match(/name="token" value="([^"]+)"/)?.[1] as string;
    expect(next).toMatch(/^\?page=apr_[0-9a-f]{32}\.[A-Za-z0-9_-]{43}$/);
    expect(next).not.toContain(sig);
    expect(next).not.toContain(formToken);

    const pages = [numbers, ...(await followEarlier(`/approvals/${pendingId}`, first.text))];
    console.info(
      `approval page: ${first.bytes} bytes with ${numbers.length} decisions; ${pages.length} pages in all`,
    );
    expect(pages.length).toBeGreaterThan(2);
    expectEveryDecisionOnce(pages);
    // Reading changed nothing: the request still waits, as it was.
    expect(await getApproval(pendingId)).toEqual(before);
  });

  it('answers the incident page within its budget, then every earlier decision once, page by page', async () => {
    const first = await get(viewLink);
    expect(first.status).toBe(200);
    expect(first.bytes).toBeLessThanOrEqual(1_000_000);
    expect(first.text).toContain(`<h1>Incident ${incidentId}</h1>`);
    expect(first.text).toContain('Read-only view for qa@example.com');
    const numbers = listed(first.text);
    expect(numbers.length).toBeGreaterThan(0);
    expect(numbers.at(-1)).toBe(decided - 1);
    const next = nextLink(first.text) as string;
    const sig = new URL(viewLink, 'http://x').searchParams.get('sig') as string;
    expect(next).toMatch(/^\?exp=\d+&page=apr_[0-9a-f]{32}\.[A-Za-z0-9_-]{43}$/);
    expect(next).not.toContain(sig);

    const pages = [numbers, ...(await followEarlier(`/views/incidents/${incidentId}`, first.text))];
    console.info(
      `incident page: ${first.bytes} bytes with ${numbers.length} decisions; ${pages.length} pages in all`,
    );
    expectEveryDecisionOnce(pages);
  });

  it('refuses with 400 naming the page a token that is not one of the list: made up, tampered, of another request, list or expiry', async () => {
    const first = await get(link);
    const next = nextLink(first.text) as string;
    const token = new URLSearchParams(next).get('page') as string;
    const view = await get(viewLink);
    const viewNext = new URLSearchParams(nextLink(view.text) as string);
    const viewToken = viewNext.get('page') as string;
    const exp = viewNext.get('exp') as string;
    const flip = (s: string) => `${s.slice(0, -5)}${s.at(-5) === 'A' ? 'B' : 'A'}${s.slice(-4)}`;
    const sig = new URL(link, 'http://x').searchParams.get('sig') as string;

    const refused = [
      `/approvals/${pendingId}?page=`,
      `/approvals/${pendingId}?page=2`,
      `/approvals/${pendingId}?page=${flip(token)}`,
      `/approvals/${pendingId}?page=newest.${sig}`,
      `/approvals/${pendingId}?page=${viewToken}`,
      // Another incident's request: the token is bound to the request it was made on.
      `/approvals/${otherPendingId}?page=${token}`,
      `/views/incidents/${incidentId}?exp=${exp}&page=${token}`,
      `/views/incidents/${incidentId}?exp=${Number(exp) + 1}&page=${viewToken}`,
      `/views/incidents/${incidentId}?page=${viewToken}`,
      `/views/incidents/${otherIncidentId}?exp=${exp}&page=${viewToken}`,
    ];
    for (const path of refused) {
      const page = await get(path);
      expect(page.status, path).toBe(400);
      expect(page.text, path).toContain('page parameter is not a page of this list');
    }
  });

  it("shows in the local dashboard what fits of the detail's first pages, and where the rest is", async () => {
    const response = await fetch(`${api.url}/dashboard/incidents/${incidentId}`);
    const text = await response.text();
    console.info(`dashboard incident page: ${Buffer.byteLength(text)} bytes`);
    expect(response.status).toBe(200);
    // Four lists of 250 KB at most, the incident's summary and timeline.
    expect(Buffer.byteLength(text)).toBeLessThan(1_500_000);
    expect(text).toMatch(
      /\d+ more and further pages not shown here: <code>GET \/v1\/incidents\/inc_\w+\/approvals<\/code>/,
    );
    for (const route of ['approvals', 'candidates', 'validation-reports']) {
      expect(text).toContain(`<code>GET /v1/incidents/${incidentId}/${route}</code> pages through all.`);
    }
    expect(text).not.toContain('secret-task-token');
  });

  it('answers a page token as it answers the link: 410 once a view link has expired', async () => {
    const { sign } = await import('../../functions/commons/approvals/signing.ts');
    const past = String(Math.floor(Date.now() / 1000) - 60);
    const signature = await sign('page', {
      approvalId: `incident:${incidentId}#before#newest`,
      recipient: 'qa@example.com',
      expiresAt: past,
    });
    const expired = await get(`/views/incidents/${incidentId}?exp=${past}&page=newest.${signature}`);
    expect(expired.status).toBe(410);
    expect(expired.text).toContain('This link expired at');
  });

  it('answers a further page as the link: a decided request shows its decision only, a withdrawn one 410', async () => {
    const { claimDecision, closeApproval } = await import('../../functions/commons/approvals/store.ts');
    const { sign } = await import('../../functions/commons/approvals/signing.ts');
    const next = nextLink((await get(link)).text) as string;
    const otherToken = `newest.${await sign('page', {
      approvalId: `approval:${otherPendingId}#before#newest`,
      recipient: 'qa@example.com',
      expiresAt,
    })}`;
    // The other incident's request has no earlier decision: a first page, then withdrawn.
    expect((await get(`/approvals/${otherPendingId}?page=${otherToken}`)).status).toBe(200);

    expect(
      await claimDecision(pendingId, {
        decision: 'approve',
        comment: 'Looks good.',
        decidedBy: 'qa@example.com',
        decidedAt: new Date().toISOString(),
      }),
    ).toBe(true);
    expect(await closeApproval(otherPendingId, 'pending', 'withdrawn', 'the incident ended')).toBe(true);
    const decidedPage = await get(`/approvals/${pendingId}${next}`);
    const withdrawn = await get(`/approvals/${otherPendingId}?page=${otherToken}`);

    expect(decidedPage.status).toBe(200);
    expect(decidedPage.text).toContain('Decided: <strong>Approve the candidate</strong> by qa@example.com');
    expect(listed(decidedPage.text)).toEqual([]);
    expect(decidedPage.text).not.toContain('rel="next"');
    expect(withdrawn.status).toBe(410);
  });
});

async function inBatches<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(work));
}
