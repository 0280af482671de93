import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { passedAsBase64 } from '../functions/commons/api/request-size.ts';
import { configureWebhookQueue } from '../functions/commons/webhooks/queue.ts';
import { type FunctionId, functionCatalog } from '../lib/functions.ts';
import { authErrors, routes } from '../lib/routes.ts';
import { tables } from '../lib/tables.ts';
import {
  type Base64Body,
  frontDoorResult,
  lambdaContext,
  lambdaEventRefusal,
  matchRoute,
  PayloadTooLargeError,
  readBodyBase64,
  readBodyText,
  sendError,
  sendLambdaResult,
  sendProxyResult,
  toProxyEvent,
} from './api-gateway.ts';
import { type AuthorizerHandler, authorize } from './authorizer.ts';
import { startDashboard } from './dashboard.ts';
import { type Demo, type DemoOptions, startDemo } from './demo.ts';
import {
  ensureTables,
  type LocalDynamoDb,
  localDynamoDbClient,
  localTableNames,
  startDynalite,
} from './dynamodb.ts';
import { type LocalGovernance, startLocalGovernance } from './governance.ts';
import { asFunction } from './invocation.ts';
import type { ConfirmMode } from './outbox.ts';
import { startScheduler } from './scheduler.ts';
import { LocalWebhookQueue, type SqsHandler, type Timer } from './webhooks.ts';

export interface RuntimeOptions {
  /** Folder for the DynamoDB data and the admin key. */
  readonly dataDir: string;
  readonly port: number;
  readonly host: string;
  /** Admin key to use; generated and kept in the data dir when absent. */
  readonly adminKey?: string;
  /** Seeds and streams the demo model (`local/demo.ts`) over the runtime's own API. */
  readonly demo: boolean;
  /** The demo's pace (defaults in `demoDefaults`). */
  readonly demoSettings?: Omit<DemoOptions, 'url' | 'adminKey'>;
  /**
   * An existing DynamoDB API endpoint to use instead of starting dynalite in the data dir
   * (another dynalite, DynamoDB Local, or a proxy in front of one, as the benchmarks use).
   */
  readonly dynamoEndpoint?: string;
  /** Seconds between scheduled-evaluation ticks (EventBridge Scheduler's stand-in); 0 turns it off. */
  readonly schedulerTickSeconds?: number;
  /**
   * How approvers' email subscriptions get confirmed: `auto` (the default) at once, `manual` by
   * following the confirmation link in the outbox, as in AWS.
   */
  readonly confirmSubscriptions?: ConfirmMode;
  /** The webhook queue's waits (delays, backoff); tests give one that does not wait. */
  readonly webhookTimer?: Timer;
}

export interface Runtime {
  readonly url: string;
  /** The local DynamoDB endpoint (dynalite). */
  readonly dynamoEndpoint: string;
  readonly adminKey: string;
  readonly adminKeyGenerated: boolean;
  /** The governance workflow's local adapters: outbox and engine. */
  readonly governance: LocalGovernance;
  /** The webhook queue's local stand-in (SQS in AWS). */
  readonly webhooks: LocalWebhookQueue;
  close(): Promise<void>;
}

type ScheduledHandler = (event: unknown, context: Context) => Promise<unknown>;
type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const repoRoot = path.resolve(import.meta.dirname, '..');

/**
 * The embedded default: the deployed handlers on one machine. dynalite stands in for DynamoDB
 * (on disk, so data survives a restart), and an HTTP server turns each request into the API
 * Gateway proxy event for the same handler the CDK stack deploys.
 */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  await mkdir(options.dataDir, { recursive: true });
  const releaseLock = await lockDataDir(options.dataDir);
  const { key: adminKey, generated } = await loadAdminKey(options.dataDir, options.adminKey);

  let dynamo: LocalDynamoDb | undefined;
  try {
    dynamo = options.dynamoEndpoint
      ? { endpoint: options.dynamoEndpoint, close: async () => {} }
      : await startDynalite({ path: path.join(options.dataDir, 'dynamodb') });
    const tableNames = localTableNames();
    configureEnvironment(dynamo.endpoint, tableNames, adminKey);
    const client = localDynamoDbClient(dynamo.endpoint);
    await ensureTables(client, tableNames);
    client.destroy();
    // The upgrade step a deployment runs once (scripts/backfill-open-incidents.ts); here on every start.
    await (await import('../functions/commons/incidents/open-index-backfill.ts')).backfillOpenIncidentIndex();
    // Likewise scripts/backfill-ended-incidents.ts.
    await (
      await import('../functions/commons/incidents/ended-index-backfill.ts')
    ).backfillEndedIncidentIndex();

    const governance = await startLocalGovernance(
      options.dataDir,
      undefined,
      options.confirmSubscriptions ?? 'auto',
    );
    const handlers = await loadHandlers();
    const webhooks = new LocalWebhookQueue({
      handler: handlers.webhookDelivery as unknown as SqsHandler,
      ...(options.webhookTimer ? { timer: options.webhookTimer } : {}),
    });
    configureWebhookQueue(webhooks);
    const dashboard = await startDashboard(governance);
    const server = createServer((request, response) => {
      if (governance.route(request, response)) return;
      if (dashboard.route(request, response)) return;
      serve(handlers, request, response).catch((error: unknown) => {
        console.error('vigil: request failed', error);
        if (!response.headersSent) sendError(response, 500, 'internal', 'Internal error');
      });
    });
    await listen(server, options.port, options.host);
    const { port } = server.address() as AddressInfo;
    const shownHost = options.host === '0.0.0.0' || options.host === '127.0.0.1' ? 'localhost' : options.host;
    const startedAt = new Date().toISOString();
    await governance.start(`http://${shownHost}:${port}`);
    const scheduler = startScheduler(options.schedulerTickSeconds ?? 30, () =>
      (handlers.scheduledEvaluation as unknown as ScheduledHandler)(
        {},
        lambdaContext('vigil-scheduled-evaluation', 300_000),
      ),
    );

    const url = `http://${shownHost}:${port}`;
    const demo: Demo | undefined = options.demo
      ? startDemo({ ...options.demoSettings, url, adminKey, since: startedAt })
      : undefined;

    return {
      url,
      dynamoEndpoint: dynamo.endpoint,
      adminKey,
      adminKeyGenerated: generated,
      governance,
      webhooks,
      close: async () => {
        await demo?.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await scheduler.stop();
        await webhooks.close();
        configureWebhookQueue(undefined);
        await governance.close();
        await dynamo?.close();
        await releaseLock();
      },
    };
  } catch (error) {
    await dynamo?.close();
    await releaseLock();
    throw error;
  }
}

/**
 * One runtime per data dir: LevelDB allows a single process, so a second `npm start` on the
 * same folder is refused with a clear message. A lock left by a process that died is taken over.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = path.join(dataDir, 'runtime.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, String(process.pid), { flag: 'wx' });
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new Error(`The data dir ${dataDir} is in use by another Vigil runtime (pid ${pid})`);
      }
      await rm(file, { force: true });
    }
  }
  throw new Error(`Could not lock the data dir ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function serve(
  handlers: Record<FunctionId, ProxyHandler>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  // The web ACL's size rules come before API Gateway's routing.
  const refused = frontDoorResult(request);
  if (refused) return sendProxyResult(response, refused);
  const url = new URL(request.url ?? '/', 'http://localhost');
  const matched = matchRoute(routes, request.method ?? 'GET', url.pathname);
  if (!('route' in matched)) {
    if (matched.methodNotAllowed)
      sendError(response, 405, 'method_not_allowed', `${request.method} is not allowed here`);
    else sendError(response, 404, 'not_found', `No route for ${request.method} ${url.pathname}`);
    return;
  }
  let body: string | Base64Body;
  try {
    body = passedAsBase64(request.headers['content-type'])
      ? await readBodyBase64(request)
      : await readBodyText(request);
  } catch (error) {
    if (error instanceof PayloadTooLargeError)
      return sendError(response, 413, 'payload_too_large', error.message);
    throw error;
  }
  const event = toProxyEvent(request, body, matched);
  if (matched.route.auth === 'apiKey') {
    const outcome = await authorize(
      handlers.authorizer as unknown as AuthorizerHandler,
      event,
      matched.route,
      lambdaContext('vigil-authorizer'),
    );
    if (!outcome.allowed) {
      const refusal = outcome.statusCode === 401 ? authErrors.unauthorized : authErrors.forbidden;
      sendProxyResult(response, {
        statusCode: refusal.statusCode,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(refusal.body),
      });
      return;
    }
    event.requestContext.authorizer = outcome.context;
  }
  // Lambda refuses an event past its request limit, and API Gateway answers for it.
  const tooLarge = lambdaEventRefusal(event);
  if (tooLarge) return sendProxyResult(response, tooLarge);
  const result = await handlers[matched.route.handler](
    event,
    lambdaContext(`vigil-${matched.route.handler}`),
  );
  sendLambdaResult(response, result);
}

/** Imports every handler once, after the environment is set, so each reads its configuration at load. */
async function loadHandlers(): Promise<Record<FunctionId, ProxyHandler>> {
  const entries = await Promise.all(
    Object.entries(functionCatalog).map(async ([id, definition]) => {
      const module = (await import(path.join(repoRoot, definition.entry))) as { handler: ProxyHandler };
      return [id, asFunction(id as FunctionId, module.handler)] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<FunctionId, ProxyHandler>;
}

/** The environment the CDK stack gives the functions, pointed at the local services. */
function configureEnvironment(endpoint: string, tableNames: Record<string, string>, adminKey: string): void {
  const env = process.env;
  env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
  // Lambda runs Node.js 22; the SDK's notice about Node.js 20 on developer machines is noise here.
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  env.AWS_REGION ??= 'local';
  env.AWS_ACCESS_KEY_ID ??= 'local';
  env.AWS_SECRET_ACCESS_KEY ??= 'local';
  env.POWERTOOLS_SERVICE_NAME ??= 'vigil';
  env.POWERTOOLS_METRICS_NAMESPACE ??= 'Vigil';
  env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  env.VIGIL_ADMIN_KEY = adminKey;
  // Webhooks may reach receivers on this machine (never in AWS, where the flag is unset).
  env.VIGIL_WEBHOOKS_ALLOW_LOOPBACK ??= 'true';
  for (const table of tables) env[table.envVar] = tableNames[table.id];
}

/** The admin key: the one given, else the one kept in the data dir, else a new one written there (0600). */
async function loadAdminKey(dataDir: string, given?: string): Promise<{ key: string; generated: boolean }> {
  if (given) return { key: given, generated: false };
  const file = path.join(dataDir, 'admin-key');
  try {
    const kept = (await readFile(file, 'utf8')).trim();
    if (kept) return { key: kept, generated: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = `vgl_admin_${randomBytes(32).toString('base64url')}`;
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return { key, generated: true };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
