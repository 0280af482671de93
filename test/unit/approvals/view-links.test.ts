import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const incident = { kind: 'incident', id: 'inc_0123456789abcdef0123' } as const;
const evaluation = { kind: 'evaluation', id: '6f1d2c9e-8a4b-4c3d-9e2f-1a2b3c4d5e6f' } as const;
const recipients = ['ana@example.com', 'bo@example.com'];

async function views() {
  vi.resetModules();
  vi.stubEnv('VIGIL_SIGNING_SECRET', 'local-secret');
  vi.stubEnv('PUBLIC_URL', 'https://vigil.example.com/v1/');
  return import('../../../functions/commons/views/links.ts');
}

/** The query string of a link, as API Gateway passes it to the handler. */
const query = (link: string) => Object.fromEntries(new URL(link).searchParams);

describe('read-only links of emails', () => {
  let links: Awaited<ReturnType<typeof views>>;
  const inAnHour = Math.floor(Date.now() / 1000) + 3600;
  beforeAll(async () => {
    links = await views();
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  it('links to the page it signs, with its expiry and a signature, and no address', async () => {
    const link = await links.viewLink(incident, 'bo@example.com', inAnHour);
    expect(link).toMatch(
      new RegExp(
        `^https://vigil\\.example\\.com/v1/views/incidents/${incident.id}\\?exp=${inAnHour}&sig=[A-Za-z0-9_-]{43}$`,
      ),
    );
    expect(await links.viewLink(evaluation, 'bo@example.com', inAnHour)).toMatch(
      new RegExp(`/views/evaluations/${evaluation.id}/report\\?exp=`),
    );
    expect(link).not.toContain('example.com/v1/views/incidents/bo');
    expect(decodeURIComponent(link)).not.toContain('bo@');
  });

  it('opens for the recipient it was signed for', async () => {
    const link = await links.viewLink(incident, 'bo@example.com', inAnHour);
    await expect(links.viewerOf(incident, recipients, query(link))).resolves.toEqual({
      recipient: 'bo@example.com',
      expiresAt: inAnHour,
    });
  });

  it('refuses (403) another page, a recipient no longer among the approvers, a changed expiry or no signature', async () => {
    const link = await links.viewLink(incident, 'bo@example.com', inAnHour);
    const refused = { statusCode: 403, code: 'forbidden' };
    await expect(links.viewerOf(evaluation, recipients, query(link))).rejects.toMatchObject(refused);
    await expect(links.viewerOf(incident, ['ana@example.com'], query(link))).rejects.toMatchObject(refused);
    await expect(
      links.viewerOf(incident, recipients, { ...query(link), exp: String(inAnHour + 86400) }),
    ).rejects.toMatchObject(refused);
    await expect(links.viewerOf(incident, recipients, { exp: String(inAnHour) })).rejects.toMatchObject(
      refused,
    );
    await expect(links.viewerOf(incident, recipients, null)).rejects.toMatchObject(refused);
  });

  it('answers 410 once the link has expired', async () => {
    const anHourAgo = Math.floor(Date.now() / 1000) - 3600;
    const link = await links.viewLink(incident, 'ana@example.com', anHourAgo);
    await expect(links.viewerOf(incident, recipients, query(link))).rejects.toMatchObject({
      statusCode: 410,
      message: expect.stringMatching(/^This link expired at /),
    });
  });

  it('expires in 30 days by default', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z'), toFake: ['Date'] });
    try {
      const { exp } = query(await links.viewLink(incident, 'ana@example.com'));
      expect(Number(exp)).toBe(Date.parse('2026-01-31T00:00:00Z') / 1000);
    } finally {
      vi.useRealTimers();
    }
  });

  it('counts every approver of the model as a possible recipient, once', () => {
    const approvers = {
      dataScienceLead: ['dsl@example.com', 'dev@example.com'],
      devTeam: ['dev@example.com'],
      qa: [' qa@example.com '],
    };
    expect(links.viewersOf({ approvers } as never)).toEqual([
      'dsl@example.com',
      'dev@example.com',
      'qa@example.com',
    ]);
  });
});
