import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import { configureEvidenceSigner } from '../functions/commons/evidence/signer/index.ts';
import { configureNotifier } from '../functions/commons/notifier/index.ts';
import { configureWorkflow } from '../functions/commons/workflow/index.ts';
import { type FunctionId, functionCatalog } from '../lib/functions.ts';
import {
  governanceDefinitionFile,
  governanceEventBusPlaceholder,
  governanceFunctions,
} from '../lib/workflow.ts';
import { LocalEvidenceSigner } from './evidence-signer.ts';
import { LocalOutbox } from './outbox.ts';
import { type LambdaHandler, LocalWorkflowEngine } from './workflow.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');

/** The governance workflow's local adapters: the outbox for SNS email, the local engine for Step Functions. */
export interface LocalGovernance {
  readonly outbox: LocalOutbox;
  readonly workflow: LocalWorkflowEngine;
  /** Answers the local-only routes (`GET /_local/outbox`); false for every other request. */
  route(request: IncomingMessage, response: ServerResponse): boolean;
  /** Once the runtime listens: links point at `url`, and executions left running by the last run resume. */
  start(url: string): Promise<void>;
  close(): Promise<void>;
}

/** Imports a catalog function's handler (the same module the HTTP routes use). */
async function loadFunction(name: string): Promise<LambdaHandler> {
  const definition = functionCatalog[name as FunctionId];
  if (!definition) throw new Error(`No function ${name} in the catalog`);
  const module = (await import(path.join(repoRoot, definition.entry))) as { handler: LambdaHandler };
  return module.handler;
}

/**
 * Sets up the workflow's local adapters in a data dir, before any handler loads: the signing
 * secret of approval links (VIGIL_SIGNING_SECRET, else generated once into the data dir), the
 * outbox (`outbox.jsonl`) and the engine (executions in `executions/`), registered with the
 * notifier and workflow ports; and the evidence signing key (`evidence-key.pem`).
 */
export async function startLocalGovernance(
  dataDir: string,
  print: (line: string) => void = (line) => console.log(line),
): Promise<LocalGovernance> {
  process.env.VIGIL_SIGNING_SECRET = process.env.VIGIL_SIGNING_SECRET || (await loadSigningSecret(dataDir));
  const outbox = await LocalOutbox.open({ file: path.join(dataDir, 'outbox.jsonl'), print });
  const workflow = new LocalWorkflowEngine({
    definition: await readFile(governanceDefinitionFile, 'utf8'),
    functions: governanceFunctions,
    values: { [governanceEventBusPlaceholder]: 'vigil-local' },
    resolve: loadFunction,
    dir: path.join(dataDir, 'executions'),
    print,
  });
  configureNotifier(outbox);
  configureWorkflow(workflow);
  configureEvidenceSigner(await LocalEvidenceSigner.open(dataDir));
  return {
    outbox,
    workflow,
    route(request, response) {
      if (new URL(request.url ?? '/', 'http://localhost').pathname !== '/_local/outbox') return false;
      const body = JSON.stringify(outbox.list());
      response.writeHead(request.method === 'GET' ? 200 : 405, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
      });
      response.end(
        request.method === 'GET'
          ? body
          : JSON.stringify({ error: { code: 'method_not_allowed', message: 'GET only', issues: [] } }),
      );
      return true;
    },
    async start(url) {
      process.env.PUBLIC_URL = process.env.VIGIL_PUBLIC_URL || url;
      await workflow.resume();
    },
    async close() {
      await workflow.close();
      await outbox.flush();
    },
  };
}

/** The approval-link signing secret kept in the data dir (0600), generated on first use. */
async function loadSigningSecret(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'signing-secret');
  try {
    const kept = (await readFile(file, 'utf8')).trim();
    if (kept) return kept;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(48).toString('base64url');
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return secret;
}
