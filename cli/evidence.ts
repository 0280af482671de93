import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { JwkSet } from '../functions/commons/evidence/jws.ts';
import { type EvidenceBundle, verifyBundle } from '../functions/commons/evidence/verify.ts';
import { CliError } from './input.ts';
import { calling, connection, connectionHelp, get, parse } from './ops.ts';

/**
 * `vigil evidence export` saves an incident's evidence bundle; `vigil evidence verify` checks one
 * offline: every hash, the chain, and the head's signature against a JWK Set. No database, no key.
 * Exit status of verify: 0 when everything holds, 1 naming the first event (by seq) that fails or
 * the signature, 2 on a usage error.
 */

type Write = (text: string) => void;

const help = `Usage: vigil evidence export INCIDENT [-o FILE] [--url URL] [--key KEY]
       vigil evidence verify FILE [--jwks FILE_OR_URL] [--url URL]

export: the incident's evidence bundle (GET /v1/incidents/{id}/evidence): every governance
        event of its hash chain, the head and the head's signature (JWS, ES256), as JSON, to
        FILE or standard output. A chain served in pages is read page after page and saved
        whole, signed at its last event.
verify: recomputes every event's hash (SHA-256 of its RFC 8785 canonical JSON), checks the
        links from seq 1 (or a page's fromSeq) to the head, and the signature with the public keys of --jwks (a
        JWK Set file or URL; by default GET /.well-known/jwks.json of --url). Needs no
        database. Exit 0 when all holds; 1 naming the first event (seq) that fails, or the
        signature; 2 on a usage error.

${connectionHelp}`;

/** `vigil evidence export|verify`. */
export async function runEvidence(args: string[], out: Write, err: Write): Promise<number> {
  const [action, ...rest] = args;
  if (action === undefined || action === '--help' || action === '-h') {
    (action === undefined ? err : out)(help);
    return action === undefined ? 2 : 0;
  }
  if (action === 'export') return exportBundle(rest, out, err);
  if (action === 'verify') return verify(rest, out, err);
  throw new CliError(`expected "vigil evidence export" or "vigil evidence verify", got "${action}"`);
}

async function exportBundle(args: string[], out: Write, err: Write): Promise<number> {
  const { values, positionals } = parse(args, { output: { type: 'string', short: 'o' } });
  if (values.help) {
    out(help);
    return 0;
  }
  const [incidentId, ...extra] = positionals;
  if (!incidentId) throw new CliError('name the incident: vigil evidence export INCIDENT [-o FILE]');
  if (extra.length) throw new CliError(`unexpected argument "${extra[0]}"`);
  const conn = connection(values);
  return calling('evidence export', err, async () => {
    const path = `/v1/incidents/${encodeURIComponent(incidentId)}/evidence`;
    const bundle = await wholeBundle((fromSeq) =>
      get<EvidenceBundle>(conn, fromSeq === 1 ? path : `${path}?fromSeq=${fromSeq}`),
    );
    const text = `${JSON.stringify(bundle, null, 2)}\n`;
    if (!values.output) return out(text);
    await writeFile(values.output, text);
    err(`Saved the evidence of ${incidentId} (${bundle.events.length} events) to ${values.output}\n`);
  });
}

async function verify(args: string[], out: Write, err: Write): Promise<number> {
  let parsed: ReturnType<typeof parseVerify>;
  try {
    parsed = parseVerify(args);
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(help);
    return 0;
  }
  const [file, ...extra] = positionals;
  if (!file) throw new CliError('name the bundle: vigil evidence verify FILE [--jwks FILE_OR_URL]');
  if (extra.length) throw new CliError(`unexpected argument "${extra[0]}"`);
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read ${file}: ${error.code ?? error.message}`);
  });
  const jwks = await loadJwks(values.jwks ?? `${baseUrl(values.url)}/.well-known/jwks.json`);
  let bundle: unknown;
  try {
    bundle = JSON.parse(text);
  } catch (error) {
    err(`vigil evidence verify: FAILED: ${file} is not JSON (${(error as Error).message})\n`);
    return 1;
  }
  const check = verifyBundle(bundle, jwks);
  if (!check.ok) {
    err(`vigil evidence verify: FAILED: ${check.message}\n`);
    return 1;
  }
  out(
    (check.fromSeq > 1
      ? `OK: incident ${check.incidentId}, events ${check.fromSeq} to ${check.seq} (a page: it links to event ${check.fromSeq - 1}'s hash, which it does not hold), head ${check.head}\n`
      : `OK: incident ${check.incidentId}, ${check.seq} events, head ${check.head}\n`) +
      `signed at ${check.signedAt} with key ${check.kid}\n`,
  );
  return 0;
}

function parseVerify(args: string[]) {
  return parseArgs({
    args,
    options: {
      jwks: { type: 'string' },
      url: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
}

function baseUrl(url: string | undefined): string {
  return (url ?? process.env.VIGIL_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
}

/** A JWK Set from a file or an http(s) URL; anything else is a usage error. */
async function loadJwks(source: string): Promise<JwkSet> {
  let text: string;
  if (/^https?:\/\//.test(source)) {
    try {
      const response = await fetch(source, { signal: AbortSignal.timeout(30_000) });
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      text = await response.text();
    } catch (error) {
      throw new CliError(`cannot fetch the JWK Set ${source}: ${(error as Error).message}`);
    }
  } else {
    text = await readFile(source, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new CliError(`cannot read the JWK Set ${source}: ${error.code ?? error.message}`);
    });
  }
  let jwks: unknown;
  try {
    jwks = JSON.parse(text);
  } catch {
    throw new CliError(`${source} is not JSON`);
  }
  if (!jwks || typeof jwks !== 'object' || !Array.isArray((jwks as JwkSet).keys)) {
    throw new CliError(`${source} is not a JWK Set ({"keys": [...]})`);
  }
  return jwks as JwkSet;
}

/**
 * The whole bundle of a chain served in pages (`nextFromSeq`): every page's events in order, and
 * the last page's incident, head and signature, which covers the chain up to its last event.
 * Each page must start where the previous one ended and link to its last hash.
 */
async function wholeBundle(page: (fromSeq: number) => Promise<EvidenceBundle>): Promise<EvidenceBundle> {
  let current = await page(1);
  const events = [...current.events];
  while (current.nextFromSeq !== undefined) {
    const next = await page(current.nextFromSeq);
    const first = next.events[0];
    if (
      next.fromSeq !== current.nextFromSeq ||
      first?.seq !== current.nextFromSeq ||
      first.prevHash !== current.head
    ) {
      throw new CliError(
        `the page from seq ${current.nextFromSeq} does not continue the chain (it starts at seq ${String(first?.seq)})`,
      );
    }
    events.push(...next.events);
    current = next;
  }
  const { fromSeq: _fromSeq, nextFromSeq: _next, ...last } = current;
  return { ...last, events };
}
