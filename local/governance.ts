import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import { configureEvidenceSigner } from '../functions/commons/evidence/signer/index.ts';
import { configureNotifier, configureSubscriptions } from '../functions/commons/notifier/index.ts';
import { configureWorkflow } from '../functions/commons/workflow/index.ts';
import { type FunctionId, functionCatalog } from '../lib/functions.ts';
import {
  baselineReviewDefinitionFile,
  baselineReviewFunctions,
  governanceDefinitionFile,
  governanceEventBusPlaceholder,
  governanceFunctions,
} from '../lib/workflow.ts';
import { LocalEvidenceSigner } from './evidence-signer.ts';
import { asFunction } from './invocation.ts';
import { fromThisMachine } from './loopback.ts';
import { CONFIRM_PATH, type ConfirmMode, LocalOutbox, UNSUBSCRIBE_PATH } from './outbox.ts';
import { type LambdaHandler, LocalWorkflowEngine, LocalWorkflowRouter } from './workflow.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');

/** The governance workflow's local adapters: the outbox for SNS email, the local engine for Step Functions. */
export interface LocalGovernance {
  readonly outbox: LocalOutbox;
  /** The governance workflow's engine. */
  readonly workflow: LocalWorkflowEngine;
  /** The baseline review's engine (`statemachines/baseline-review.asl.json`). */
  readonly baselineReview: LocalWorkflowEngine;
  /**
   * Answers the local-only routes, to this machine only (`GET /_local/outbox`, and SNS's links:
   * `GET /_local/sns/confirm?token=...`, `GET /_local/sns/unsubscribe?token=...`); false for every
   * other request.
   */
  route(request: IncomingMessage, response: ServerResponse): boolean;
  /**
   * Once the runtime listens: links point at `url`, approvers' subscriptions are brought up to
   * date, and executions left running by the last run resume.
   */
  start(url: string): Promise<void>;
  close(): Promise<void>;
}

/** Imports a catalog function's handler (the same module the HTTP routes use). */
async function loadFunction(name: string): Promise<LambdaHandler> {
  const definition = functionCatalog[name as FunctionId];
  if (!definition) throw new Error(`No function ${name} in the catalog`);
  const module = (await import(path.join(repoRoot, definition.entry))) as { handler: LambdaHandler };
  return asFunction(name as FunctionId, module.handler);
}

/**
 * Sets up the workflow's local adapters in a data dir, before any handler loads: the signing
 * secret of approval links (VIGIL_SIGNING_SECRET, else generated once into the data dir), the
 * outbox (`outbox.jsonl`, with the email subscriptions in `subscriptions.json`) and the engine
 * (executions in `executions/`), registered with the notifier, subscriptions and workflow ports;
 * and the evidence signing key (`evidence-key.pem`).
 */
export async function startLocalGovernance(
  dataDir: string,
  print: (line: string) => void = (line) => console.log(line),
  confirm: ConfirmMode = 'auto',
): Promise<LocalGovernance> {
  process.env.VIGIL_SIGNING_SECRET = process.env.VIGIL_SIGNING_SECRET || (await loadSigningSecret(dataDir));
  let localUrl = '';
  const outbox = await LocalOutbox.open({
    file: path.join(dataDir, 'outbox.jsonl'),
    subscriptionsFile: path.join(dataDir, 'subscriptions.json'),
    print,
    confirm,
    baseUrl: () => localUrl,
  });
  const workflow = new LocalWorkflowEngine({
    definition: await readFile(governanceDefinitionFile, 'utf8'),
    functions: governanceFunctions,
    values: { [governanceEventBusPlaceholder]: 'vigil-local' },
    resolve: loadFunction,
    dir: path.join(dataDir, 'executions'),
    print,
  });
  const baselineReview = new LocalWorkflowEngine({
    definition: await readFile(baselineReviewDefinitionFile, 'utf8'),
    functions: baselineReviewFunctions,
    resolve: loadFunction,
    dir: path.join(dataDir, 'executions-baseline-review'),
    print,
    stateMachineName: 'vigil-baseline-review',
  });
  configureNotifier(outbox);
  configureSubscriptions(outbox.emailSubscriptions);
  configureWorkflow(new LocalWorkflowRouter({ governance: workflow, baselineReview }));
  configureEvidenceSigner(await LocalEvidenceSigner.open(dataDir));
  return {
    outbox,
    workflow,
    baselineReview,
    route(request, response) {
      const { pathname } = new URL(request.url ?? '/', 'http://localhost');
      if (pathname !== '/_local' && !pathname.startsWith('/_local/')) return false;
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        response.writeHead(status, {
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
          ...headers,
        });
        response.end(JSON.stringify(body));
      };
      const refuse = (status: number, code: string, message: string, headers?: Record<string, string>) =>
        send(status, { error: { code, message, issues: [] } }, headers);
      // The outbox holds every signed link: the dashboard's rule, loopback callers and names only.
      if (!fromThisMachine(request))
        refuse(403, 'local_only', 'The /_local routes answer requests from this machine only');
      else if (pathname === CONFIRM_PATH || pathname === UNSUBSCRIBE_PATH)
        followSnsLink(outbox, request, response, new URL(request.url ?? '/', 'http://localhost')).catch(
          (error: unknown) => {
            console.error('vigil: subscription confirmation failed', error);
            if (!response.headersSent) page(response, 500, 'Something went wrong; see the console.');
          },
        );
      else if (pathname !== '/_local/outbox') refuse(404, 'not_found', `No route for ${pathname}`);
      else if (request.method !== 'GET') refuse(405, 'method_not_allowed', 'GET only', { allow: 'GET' });
      else send(200, outbox.list());
      return true;
    },
    async start(url) {
      localUrl = url;
      process.env.PUBLIC_URL = process.env.VIGIL_PUBLIC_URL || url;
      // As the scheduled refresh does in AWS: every address a model names has its subscription
      // (a data dir from before subscriptions were tracked gets them now), before steps resume.
      const { refreshDelivery } = await import('../functions/commons/delivery/refresh.ts');
      await refreshDelivery();
      await workflow.resume();
      await baselineReview.resume();
    },
    async close() {
      await workflow.close();
      await baselineReview.close();
      await outbox.flush();
    },
  };
}

/**
 * SNS's confirmation and unsubscribe links, local edition: the subscription of the token is
 * confirmed or ended, then the runtime does at once what the scheduled refresh does in AWS: the
 * requests waiting for a confirmed address are sent to it, and MLOps is told of a waiting step
 * whose role lost its last confirmed address. Like every `/_local` route, they answer this
 * machine only.
 */
async function followSnsLink(
  outbox: LocalOutbox,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
): Promise<void> {
  if (!fromThisMachine(request))
    return page(response, 403, 'This runtime answers requests from this machine only.');
  if (request.method !== 'GET' && request.method !== 'HEAD')
    return page(response, 405, 'Follow the link (GET).');
  const token = url.searchParams.get('token') ?? '';
  const confirming = url.pathname === CONFIRM_PATH;
  const address = confirming ? await outbox.confirm(token) : await outbox.unsubscribeByLink(token);
  if (!address) return page(response, 404, 'No subscription has this link.');
  const { refreshDelivery } = await import('../functions/commons/delivery/refresh.ts');
  await refreshDelivery();
  page(
    response,
    200,
    confirming
      ? `Subscription confirmed! ${address} now receives Vigil's notifications.`
      : `${address} is unsubscribed and will receive no more of Vigil's notifications.`,
  );
}

function page(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    ...(status === 405 ? { allow: 'GET, HEAD' } : {}),
  });
  response.end(message);
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
