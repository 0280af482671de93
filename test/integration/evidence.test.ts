import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import canonicalize from 'canonicalize';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.ts';
import { independentCheck } from '../support/independent-evidence-check.ts';
import { ADMIN_KEY, Harness } from './workflow/harness.ts';

interface Event {
  seq: number;
  type: string;
  at: string;
  actor: string;
  data: Record<string, unknown> & { step?: string; details?: Record<string, unknown> };
  prevHash: string;
  hash: string;
}
interface Bundle {
  incident: { incidentId: string; status: string };
  events: Event[];
  head: string;
  signature: string;
}

/**
 * A resolved incident's evidence on the local runtime: the bundle and its page, `vigil evidence
 * export` and `verify` (which must catch every edit), and an auditor's own check that imports
 * nothing of Vigil.
 */
describe('evidence of a resolved incident', () => {
  let h: Harness;
  let dir: string;
  let incidentId: string;
  let bundle: Bundle;
  let jwksFile: string;
  let qaPage: string;

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

  async function verifyEdited(edit: (copy: Bundle) => void) {
    const copy = structuredClone(bundle);
    edit(copy);
    const file = path.join(dir, `edited-${Math.random().toString(16).slice(2)}.json`);
    await writeFile(file, JSON.stringify(copy));
    return cli('evidence', 'verify', file, '--jwks', jwksFile);
  }

  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    dir = await mkdtemp(path.join(tmpdir(), 'vigil-evidence-'));
    h = await Harness.start();
    await h.registerModel('churn-evidence');
    ({ incidentId } = await h.breachOverHttp('churn-evidence'));
    await h.decide(
      await h.message('dsl@example.com', /Investigate the alert/),
      'retrain',
      'Input drift on age.',
    );
    expect((await h.submitCandidate(incidentId, { version: '1.1.0', accuracy: 0.92 })).status).toBe(202);
    const qa = await h.message('qa@example.com', /QA validation/);
    qaPage = (await h.open(qa)).page.text;
    await h.decide(qa, 'approve', 'QA suite green.');
    await h.decide(await h.message('ops@example.com', /Operations verification/), 'confirm');
    await h.decide(await h.message('dsl@example.com', /Post-implementation review/), 'submit', '', {
      summary: 'Drift on age after a campaign; retrained.',
      rootCause: 'New acquisition channel.',
      lessonsLearned: 'Share campaign calendars.',
      actions: 'Add a campaign feature.',
    });
    await h.decide(
      await h.message('irb@example.com', /Sign-off of the post-implementation review/),
      'approve',
    );
    await h.incidentWhen(incidentId, (incident) => incident.status === 'resolved');
    const execution = await h.settled(incidentId);
    expect(execution?.status).toBe('SUCCEEDED');
    expect(execution?.states.at(-1)).toBe('Sign evidence');
    const exported = path.join(dir, 'bundle.json');
    const result = await cli(
      'evidence',
      'export',
      incidentId,
      '-o',
      exported,
      '--url',
      h.url,
      '--key',
      ADMIN_KEY,
    );
    expect(result).toMatchObject({ status: 0 });
    bundle = JSON.parse(await readFile(exported, 'utf8')) as Bundle;
    jwksFile = path.join(dir, 'jwks.json');
    await writeFile(jwksFile, (await h.call('GET', '/.well-known/jwks.json', { key: null })).text);
  });
  afterAll(async () => {
    await h?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('holds every governance event of the incident, with its evidence, in one chain', () => {
    expect(bundle.incident).toMatchObject({ incidentId, status: 'resolved' });
    expect(bundle.events.map((e) => e.seq)).toEqual(bundle.events.map((_, i) => i + 1));
    expect(bundle.head).toBe(bundle.events.at(-1)?.hash);
    const types = bundle.events.map((e) => e.type);
    expect(types[0]).toBe('incident.opened');
    // The last decision's step.left may land just after the close: the workflow resumes first.
    expect(types.filter((t) => t === 'incident.closed')).toHaveLength(1);
    expect(types).toEqual(
      expect.arrayContaining([
        'workflow.started',
        'request.sent',
        'decision',
        'candidate.submitted',
        'revalidation.report',
      ]),
    );
    const opened = bundle.events[0]?.data.details as { evaluation: { evaluationId: string; status: string } };
    expect(opened.evaluation).toMatchObject({ status: 'breach' });
    expect(bundle.events.find((e) => e.type === 'candidate.submitted')?.data.details).toMatchObject({
      version: '1.1.0',
      metrics: { accuracy: 0.92 },
    });
    const report = bundle.events.find((e) => e.type === 'revalidation.report') as Event;
    expect(report.data.details).toMatchObject({ report: { candidateVersion: '1.1.0', passed: true } });
    // QA's peer review names the exact report it approved.
    const qa = bundle.events.find((e) => e.type === 'decision' && e.data.step === 'qa') as Event;
    expect(qa.data.details).toMatchObject({
      decision: 'approve',
      revalidationReport: { seq: report.seq, hash: report.hash },
    });
    expect(qaPage).toContain(`This report is event ${report.seq} of the incident's hash chain`);
    expect(qaPage).toContain(report.hash);
    const pir = bundle.events.find((e) => e.type === 'decision' && e.data.step === 'pir') as Event;
    expect(pir.data.details).toMatchObject({ form: { rootCause: 'New acquisition channel.' } });
    expect(JSON.stringify(bundle)).not.toMatch(/taskToken|sig=|"token"/);
  });

  it('verifies offline with `vigil evidence verify`, and with an auditor check that uses no Vigil code', async () => {
    const verified = await cli('evidence', 'verify', path.join(dir, 'bundle.json'), '--jwks', jwksFile);
    const overHttp = await cli('evidence', 'verify', path.join(dir, 'bundle.json'), '--url', h.url);
    const jwks = JSON.parse((await h.call('GET', '/.well-known/jwks.json', { key: null })).text);

    expect(verified.status, verified.err).toBe(0);
    expect(verified.out).toContain(`OK: incident ${incidentId}, ${bundle.events.length} events`);
    expect(overHttp.status).toBe(0);
    expect(jwks.keys).toHaveLength(1);
    expect(independentCheck(bundle, jwks)).toEqual([]);
  });

  it('names every event when one byte of it changes', async () => {
    const results = [];
    for (const [index] of bundle.events.entries()) {
      results.push(
        await verifyEdited((b) => {
          const event = b.events[index] as Event;
          // One byte of the event's JSON: the first character of its actor.
          event.actor = `${event.actor[0] === 'x' ? 'y' : 'x'}${event.actor.slice(1)}`;
        }),
      );
    }

    expect(results.map((r) => [r.status, /event seq (\d+):/.exec(r.err)?.[1]])).toEqual(
      bundle.events.map((e) => [1, String(e.seq)]),
    );
  });

  it('names the first event that was edited, dropped or reordered, or the signature', async () => {
    const decision = bundle.events.findIndex((e) => e.type === 'decision');
    const seq = decision + 1;
    const last = bundle.events.length;

    const comment = await verifyEdited((b) => {
      const details = b.events[decision]?.data.details as { comment: string };
      details.comment = details.comment.replace('I', 'i');
    });
    const actor = await verifyEdited((b) => {
      (b.events[decision] as Event).actor = 'someone@example.com';
    });
    const at = await verifyEdited((b) => {
      const event = b.events[decision] as Event;
      event.at = event.at.replace(/.$/, 'Z').replace(/(\d)Z$/, (_m, d: string) => `${(Number(d) + 1) % 10}Z`);
    });
    const dropped = await verifyEdited((b) => {
      b.events.splice(decision, 1);
    });
    const droppedLast = await verifyEdited((b) => {
      b.events.pop();
      b.head = b.events.at(-1)?.hash as string;
    });
    const reordered = await verifyEdited((b) => {
      const [moved] = b.events.splice(decision, 1);
      b.events.splice(decision + 1, 0, moved as Event);
    });
    const signature = await verifyEdited((b) => {
      const parts = b.signature.split('.');
      const sig = Buffer.from(parts[2] as string, 'base64url');
      sig[10] = (sig[10] ?? 0) ^ 1;
      b.signature = `${parts[0]}.${parts[1]}.${sig.toString('base64url')}`;
    });
    const rehashed = await verifyEdited((b) => {
      // A consistent rewrite of the last event (hash recomputed) still breaks the signed head.
      const event = b.events.at(-1) as Event;
      event.actor = 'forger';
      const { hash: _h, ...rest } = event;
      event.hash = createHash('sha256')
        .update(canonicalize(rest) as string)
        .digest('hex');
      b.head = event.hash;
    });
    const unknownKey = await cli(
      'evidence',
      'verify',
      path.join(dir, 'bundle.json'),
      '--jwks',
      jwksFile.replace('jwks', 'none'),
    );

    for (const edited of [comment, actor, at, dropped, reordered]) {
      expect(edited.status).toBe(1);
      expect(edited.err).toContain(`FAILED: event seq ${seq}:`);
    }
    expect(droppedLast.status).toBe(1);
    expect(droppedLast.err).toContain(`event seq ${last}: missing`);
    expect(signature).toMatchObject({ status: 1, err: expect.stringContaining('FAILED: signature:') });
    expect(rehashed).toMatchObject({ status: 1, err: expect.stringContaining('FAILED: signature:') });
    expect(unknownKey.status).toBe(2);
  });

  it('shows the bundle as a self-contained page, verified, and refuses callers without the admin key', async () => {
    const page = await h.call('GET', `/v1/incidents/${incidentId}/evidence?format=html`);
    const anonymous = await h.call('GET', `/v1/incidents/${incidentId}/evidence`, { key: null });
    const badFormat = await h.call('GET', `/v1/incidents/${incidentId}/evidence?format=pdf`);
    const unknown = await h.call('GET', '/v1/incidents/inc_00000000000000000000/evidence');
    const malformed = await h.call('GET', '/v1/incidents/not-an-incident/evidence');
    const openapi = (await h.call('GET', '/openapi.json', { key: null })).body;

    expect(page.status).toBe(200);
    expect(page.text).toContain('Verified.');
    expect(page.text).toContain(bundle.head);
    expect(page.text).not.toMatch(/<script|src=|href="http/);
    expect(anonymous.status).toBe(401);
    expect(badFormat.status).toBe(400);
    expect(badFormat.body.error.issues[0].path).toBe('query.format');
    expect(unknown.status).toBe(404);
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.issues[0].path).toBe('path.incidentId');
    const described = openapi.paths['/v1/incidents/{incidentId}/evidence'].get;
    expect(described.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual([
      'path:incidentId',
      'query:format',
      'query:fromSeq',
    ]);
    expect(described.responses['200'].content['application/json'].schema.required).toEqual([
      'incident',
      'events',
      'head',
      'signature',
    ]);
    expect(openapi.paths['/.well-known/jwks.json'].get.security).toEqual([]);
  });

  it("signs an open incident's head on request, and each later head again", async () => {
    // Prepare
    await h.registerModel('open-evidence');
    const { incidentId: openId } = await h.breachOverHttp('open-evidence');
    await h.message('dsl@example.com', /Investigate the alert/);

    // Act
    const first = (await h.call('GET', `/v1/incidents/${openId}/evidence`)).body as Bundle;
    const again = (await h.call('GET', `/v1/incidents/${openId}/evidence`)).body as Bundle;
    await h.decide(await h.message('dsl2@example.com', /Investigate the alert/), 'false_alarm', 'Seasonal.');
    const closed = await h.incidentWhen(openId, (incident) => incident.status === 'false_alarm');
    await h.settled(openId);
    const later = (await h.call('GET', `/v1/incidents/${openId}/evidence`)).body as Bundle;
    const jwks = JSON.parse((await h.call('GET', '/.well-known/jwks.json', { key: null })).text);

    // Assess
    expect(closed.status).toBe('false_alarm');
    expect(again.signature).toBe(first.signature);
    expect(later.events.length).toBeGreaterThan(first.events.length);
    expect(later.events.slice(0, first.events.length)).toEqual(first.events);
    expect(later.events.map((e) => e.type)).toContain('incident.closed');
    expect(independentCheck(first, jwks)).toEqual([]);
    expect(independentCheck(later, jwks)).toEqual([]);
  });

  it('usage errors exit 2 and --help explains both commands', async () => {
    const help = await cli('evidence', '--help');
    const exportHelp = await cli('evidence', 'export', '--help');
    const verifyHelp = await cli('evidence', 'verify', '--help');
    const noFile = await cli('evidence', 'verify');
    const missing = await cli('evidence', 'verify', path.join(dir, 'absent.json'), '--jwks', jwksFile);
    const unknownFlag = await cli('evidence', 'verify', path.join(dir, 'bundle.json'), '--nope');

    expect(help.status).toBe(0);
    expect(help.out).toContain('vigil evidence verify FILE');
    expect(exportHelp.status).toBe(0);
    expect(verifyHelp.status).toBe(0);
    expect(verifyHelp.out).toContain('--jwks');
    for (const run of [noFile, missing, unknownFlag]) expect(run.status).toBe(2);
  });
});
