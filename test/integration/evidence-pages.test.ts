import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.ts';
import type { EvidenceBundle } from '../../functions/commons/evidence/verify.ts';
import { independentCheck } from '../support/independent-evidence-check.ts';
import { ADMIN_KEY, Harness } from './workflow/harness.ts';

/**
 * The evidence of an incident whose chain is longer than a response takes (an incident open for
 * long under a frequent schedule attaches an evaluation event each run), on the local runtime:
 * the bundle comes in pages read a page at a time, each verifies alone, and `vigil evidence
 * export` joins them into the whole chain, which verifies as any bundle.
 */
describe('evidence of a long chain, in pages', () => {
  let h: Harness;
  let dir: string;
  let incidentId: string;
  let jwks: import('../../functions/commons/evidence/jws.ts').JwkSet;
  let total: number;
  let verify: typeof import('../../functions/commons/evidence/verify.ts')['verifyBundle'];
  let schema: typeof import('../../functions/commons/evidence/schema.ts');
  let dynamoDb: typeof import('../../functions/commons/clients/dynamodb.ts')['dynamoDb'];

  async function cli(...args: string[]): Promise<{ status: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const status = await main(
      args,
      (text) => {
        out += text;
      },
      (text) => {
        err += text;
      },
    );
    return { status, out, err };
  }

  /** What a request answers, and the chain's items DynamoDB read for it (ScannedCount of EVENTS# queries). */
  async function chainItemsReadBy<T>(request: () => Promise<T>): Promise<{ result: T; read: number }> {
    let read = 0;
    const name = 'chainReadCounter';
    dynamoDb.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const values = (args.input as { ExpressionAttributeValues?: Record<string, unknown> })
          .ExpressionAttributeValues;
        if (String(values?.[':pk'] ?? '').startsWith('EVENTS#'))
          read += (result.output as { ScannedCount?: number }).ScannedCount ?? 0;
        return result;
      },
      { step: 'initialize', name },
    );
    try {
      return { result: await request(), read };
    } finally {
      dynamoDb.middlewareStack.remove(name);
    }
  }

  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    dir = await mkdtemp(path.join(tmpdir(), 'vigil-evidence-pages-'));
    h = await Harness.start();
    await h.registerModel('long-evidence');
    ({ incidentId } = await h.breachOverHttp('long-evidence'));
    await h.message('dsl@example.com', /Investigate the alert/);
    // The functions' own modules, loaded by the runtime with its environment.
    const store = await import('../../functions/commons/evidence/store.ts');
    ({ verifyBundle: verify } = await import('../../functions/commons/evidence/verify.ts'));
    schema = await import('../../functions/commons/evidence/schema.ts');
    ({ dynamoDb } = await import('../../functions/commons/clients/dynamodb.ts'));
    // 30 attached evaluations of ~300 KB each: about 9 MB of events, past one response.
    for (let i = 0; i < 30; i++) {
      await store.appendEvent(incidentId, {
        type: 'evaluation.attached',
        at: new Date(Date.parse('2026-05-01T00:00:00Z') + i * 60_000).toISOString(),
        actor: 'evaluation',
        data: { evaluation: { n: i, padding: 'x'.repeat(300_000) } },
      });
    }
    total = (await store.headEvent(incidentId))?.seq as number;
    jwks = JSON.parse((await h.call('GET', '/.well-known/jwks.json', { key: null })).text);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers a page at a time, each read alone and verified alone, the pages joining into the chain', async () => {
    const pages: EvidenceBundle[] = [];
    const reads: number[] = [];
    let next: number | undefined = 1;
    while (next !== undefined) {
      const query: string = next === 1 ? '' : `?fromSeq=${next}`;
      const { result, read } = await chainItemsReadBy(() =>
        h.call('GET', `/v1/incidents/${incidentId}/evidence${query}`),
      );
      expect(result.status, result.text).toBe(200);
      const page = result.body as EvidenceBundle;
      pages.push(page);
      reads.push(read);
      next = page.nextFromSeq;
    }

    expect(pages.length).toBeGreaterThanOrEqual(3);
    for (const [i, page] of pages.entries()) {
      const bytes = page.events.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)), 0);
      expect(bytes).toBeLessThanOrEqual(schema.EVIDENCE_PAGE_BYTES);
      // The page's events, the chain's head and at most a DynamoDB page (1 MB: 4 events) past them.
      expect(reads[i]).toBeLessThanOrEqual(page.events.length + 1 + 4);
      expect(reads[i]).toBeLessThan(total);
      const check = verify(page, jwks);
      expect(check, JSON.stringify(check)).toMatchObject({
        ok: true,
        fromSeq: page.events[0]?.seq,
        seq: page.events.at(-1)?.seq,
      });
      if (i > 0) {
        expect(page.fromSeq).toBe(pages[i - 1]?.nextFromSeq);
        expect(page.events[0]?.prevHash).toBe(pages[i - 1]?.head);
      } else {
        expect(page).not.toHaveProperty('fromSeq');
      }
    }
    expect(pages.at(-1)).not.toHaveProperty('nextFromSeq');
    expect(pages.flatMap((p) => p.events.map((e) => e.seq))).toEqual(
      Array.from({ length: total }, (_, i) => i + 1),
    );
  });

  it('shows a page as HTML, verified from where it starts', async () => {
    const first = (await h.call('GET', `/v1/incidents/${incidentId}/evidence`)).body as EvidenceBundle;
    const page = await h.call(
      'GET',
      `/v1/incidents/${incidentId}/evidence?format=html&fromSeq=${first.nextFromSeq}`,
    );
    expect(page.status).toBe(200);
    expect(page.text).toContain('Verified.');
    expect(page.text).toContain(`Events ${first.nextFromSeq} to`);
  });

  it('exports the whole chain with the CLI, which verifies as one bundle, and independently', async () => {
    const file = path.join(dir, 'whole.json');
    const exported = await cli(
      'evidence',
      'export',
      incidentId,
      '-o',
      file,
      '--url',
      h.url,
      '--key',
      ADMIN_KEY,
    );
    expect(exported, exported.err).toMatchObject({ status: 0 });
    const whole = JSON.parse(await readFile(file, 'utf8')) as EvidenceBundle;
    const jwksFile = path.join(dir, 'jwks.json');
    await writeFile(jwksFile, JSON.stringify(jwks));

    expect(whole.events).toHaveLength(total);
    expect(whole).not.toHaveProperty('nextFromSeq');
    expect(whole).not.toHaveProperty('fromSeq');
    expect(independentCheck(whole, JSON.parse(JSON.stringify(jwks)))).toEqual([]);
    const verified = await cli('evidence', 'verify', file, '--jwks', jwksFile);
    expect(verified.status, verified.err).toBe(0);
    expect(verified.out).toContain(`${total} events`);
  });

  it('verifies a page saved alone with the CLI, saying which events it covers, and names an edit in it', async () => {
    const first = (await h.call('GET', `/v1/incidents/${incidentId}/evidence`)).body as EvidenceBundle;
    const second = (await h.call('GET', `/v1/incidents/${incidentId}/evidence?fromSeq=${first.nextFromSeq}`))
      .body as EvidenceBundle;
    const jwksFile = path.join(dir, 'jwks-page.json');
    await writeFile(jwksFile, JSON.stringify(jwks));
    const file = path.join(dir, 'page.json');
    await writeFile(file, JSON.stringify(second));
    const edited = path.join(dir, 'page-edited.json');
    const copy = structuredClone(second) as unknown as { events: { data: Record<string, unknown> }[] };
    (copy.events[1] as { data: Record<string, unknown> }).data.extra = true;
    await writeFile(edited, JSON.stringify(copy));

    const ok = await cli('evidence', 'verify', file, '--jwks', jwksFile);
    const bad = await cli('evidence', 'verify', edited, '--jwks', jwksFile);

    expect(ok.status, ok.err).toBe(0);
    expect(ok.out).toContain(`events ${first.nextFromSeq} to ${second.events.at(-1)?.seq} (a page`);
    expect(bad.status).toBe(1);
    expect(bad.err).toContain(
      `event seq ${(first.nextFromSeq as number) + 1}: hash does not match its content`,
    );
  });

  it('refuses a page past the chain or a seq that is not one, naming fromSeq', async () => {
    for (const fromSeq of [String(total + 1), '0', 'two', '1.5']) {
      const refused = await h.call('GET', `/v1/incidents/${incidentId}/evidence?fromSeq=${fromSeq}`);
      expect(refused.status, fromSeq).toBe(400);
      expect(refused.body.error.issues[0].path).toBe('query.fromSeq');
    }
  });
});
