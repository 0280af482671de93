import { parseArgs } from 'node:util';
import { CliError } from './input.ts';

/**
 * The ops commands: `vigil models list|delivery`, `vigil incidents list|show`, `vigil report`. Plain HTTP
 * against the API with `x-api-key`, so they work against `npm start` and a deployed stack alike.
 * Exit status: 0 success, 2 a usage error (CliError, reported by main), 1 an API or network error
 * (its message, never a stack trace).
 */

type Write = (text: string) => void;

/** Options every ops command takes. */
const commonOptions = {
  url: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const connectionHelp = `Connection:
  --url URL     the API's base URL (VIGIL_URL, default http://localhost:3000; a deployed
                stack's VigilService.ApiUrl)
  --key KEY     the admin API key (VIGIL_API_KEY)
  --json        print the API's JSON instead of text
`;

/** The API answered with an error, or could not be reached. */
class ApiError extends Error {
  override name = 'ApiError';
}

interface Connection {
  readonly url: string;
  readonly key: string;
}

export function connection(values: { url?: string; key?: string }): Connection {
  const url = (values.url ?? process.env.VIGIL_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new CliError(`--url must be an http(s) URL, got "${url}"`);
  }
  const key = values.key ?? process.env.VIGIL_API_KEY;
  if (!key) throw new CliError('no API key: pass --key or set VIGIL_API_KEY (the admin key)');
  return { url, key };
}

/** GET (or a POST without a body) of an API path; the parsed JSON, or ApiError with the API's own message. */
export async function get<T>(conn: Connection, path: string, method: 'GET' | 'POST' = 'GET'): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${conn.url}${path}`, {
      method,
      headers: { 'x-api-key': conn.key, accept: 'application/json' },
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    const cause =
      error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : '';
    throw new ApiError(`cannot reach ${conn.url}: ${cause || String(error)}`);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const error = (body as { error?: { message?: string; issues?: { path: string; message: string }[] } })
      ?.error;
    const issues = (error?.issues ?? []).map((issue) => `; ${issue.path}: ${issue.message}`).join('');
    throw new ApiError(`${response.status} ${error?.message ?? (response.statusText || 'error')}${issues}`);
  }
  if (body === undefined) throw new ApiError(`${conn.url}${path} did not answer JSON`);
  return body as T;
}

/** Every item of a paged list route (`field` of each page), following `nextToken` to the end. */
export async function getAll<T>(conn: Connection, path: string, field: string): Promise<T[]> {
  const items: T[] = [];
  let nextToken: string | undefined;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const page = await get<Record<string, unknown> & { nextToken?: string }>(
      conn,
      nextToken ? `${path}${separator}nextToken=${encodeURIComponent(nextToken)}` : path,
    );
    items.push(...((page[field] as T[] | undefined) ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return items;
}

/** Fixed-width columns for text output; empty values show as "-". */
function columns(head: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = [
    head,
    ...rows.map((row) =>
      row.map((cell) => (cell === undefined || cell === null || cell === '' ? '-' : String(cell))),
    ),
  ];
  const widths = head.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return `${cells.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : (cell ?? '').padEnd(widths[i] ?? 0))).join('  ')).join('\n')}\n`;
}

function facts(rows: readonly (readonly [string, unknown])[]): string {
  const shown = rows.filter(([, value]) => value !== undefined && value !== null && value !== '');
  const width = Math.max(...shown.map(([label]) => label.length));
  return `${shown.map(([label, value]) => `${`${label}:`.padEnd(width + 1)}  ${String(value)}`).join('\n')}\n`;
}

function duration(seconds: number | null | undefined): string | undefined {
  if (seconds === null || seconds === undefined) return undefined;
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} days`;
}

/** Runs an API call; an ApiError is reported on one line and is status 1. */
export async function calling(name: string, err: Write, run: () => Promise<void>): Promise<number> {
  try {
    await run();
    return 0;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    err(`vigil ${name}: ${error.message}\n`);
    return 1;
  }
}

export function parse<
  O extends Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean }>,
>(args: string[], options: O) {
  try {
    return parseArgs({
      args,
      options: { ...commonOptions, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error));
  }
}

interface ModelSummary {
  readonly modelId: string;
  readonly name: string;
  readonly owner: string;
  readonly productionVersion?: string;
  readonly baselineVersion?: number;
  readonly baselineCreatedAt?: string;
}

const modelsHelp = `Usage: vigil models list [--url URL] [--key KEY] [--json]
       vigil models delivery ID [--resend] [--url URL] [--key KEY] [--json]

list: the registered models (GET /v1/models): id, name, production version, baseline, owner.
delivery: whether each approver address of the model receives email (the "delivery" of
          GET /v1/models/{id}): confirmed, pending_confirmation or unsubscribed. --resend first
          sends a new confirmation email to every address that is not confirmed
          (POST /v1/models/{id}/delivery/resend).

${connectionHelp}`;

/** `vigil models list`. */
export async function runModels(args: string[], out: Write, err: Write): Promise<number> {
  const { values, positionals } = parse(args, { resend: { type: 'boolean' } });
  if (values.help) {
    out(modelsHelp);
    return 0;
  }
  if (positionals[0] === 'delivery' && positionals.length === 2) {
    return modelDelivery(connection(values), positionals[1] as string, values, out, err);
  }
  if (positionals.length !== 1 || positionals[0] !== 'list')
    throw new CliError(
      `expected "vigil models list" or "vigil models delivery ID", got "vigil models ${positionals.join(' ')}"`,
    );
  if (values.resend) throw new CliError('--resend goes with "vigil models delivery ID"');
  const conn = connection(values);
  return calling('models', err, async () => {
    const body = { models: await getAll<ModelSummary>(conn, '/v1/models', 'models') };
    if (values.json) return out(`${JSON.stringify(body, null, 2)}\n`);
    if (body.models.length === 0) return out('No model is registered.\n');
    out(
      columns(
        ['MODEL', 'NAME', 'PRODUCTION', 'BASELINE', 'BASELINE FITTED', 'OWNER'],
        body.models.map((m) => [
          m.modelId,
          m.name,
          m.productionVersion,
          m.baselineVersion === undefined ? undefined : `v${m.baselineVersion}`,
          m.baselineCreatedAt,
          m.owner,
        ]),
      ),
    );
  });
}

/** `vigil models delivery ID [--resend]`. */
async function modelDelivery(
  conn: Connection,
  modelId: string,
  values: { resend?: boolean; json?: boolean },
  out: Write,
  err: Write,
): Promise<number> {
  const path = `/v1/models/${encodeURIComponent(modelId)}`;
  return calling('models', err, async () => {
    const resent = values.resend
      ? (await get<{ resent: string[] }>(conn, `${path}/delivery/resend`, 'POST')).resent
      : undefined;
    const { delivery } = await get<{ delivery: Record<string, string> }>(conn, path);
    if (values.json)
      return out(`${JSON.stringify({ modelId, delivery, ...(resent ? { resent } : {}) }, null, 2)}\n`);
    out(columns(['ADDRESS', 'DELIVERY'], Object.entries(delivery)));
    if (resent)
      out(
        `Sent a new confirmation email to ${resent.length ? resent.join(', ') : 'nobody (all confirmed)'}.\n`,
      );
  });
}

interface IncidentSummary {
  readonly incidentId: string;
  readonly modelId: string;
  readonly status: string;
  readonly currentStep: string;
  readonly openedAt: string;
  readonly closedAt?: string;
  readonly retrainingCycles: number;
  readonly reasons: readonly string[];
}

interface IncidentDetail extends IncidentSummary {
  readonly version: string;
  readonly timeToResolutionSeconds?: number;
  readonly history: readonly { step: string; event: string; at: string; outcome?: string; by?: string }[];
  readonly approvals: readonly {
    step: string;
    status: string;
    recipients: readonly string[];
    requestedAt: string;
    decision?: string;
    decidedBy?: string;
    comment?: string;
  }[];
  readonly candidates?: readonly {
    version: string;
    cycle: number;
    submittedAt: string;
    submittedBy: string;
  }[];
  readonly validationReport?: { candidateVersion: string; passed: boolean };
  readonly promotion?: { version: string; previousVersion: string; promotedAt: string };
  readonly audit: readonly { at: string; type: string; actor: string; step?: string }[];
  readonly auditNextToken?: string;
  readonly approvalsNextToken?: string;
  readonly candidatesNextToken?: string;
}

const STATUSES = ['open', 'resolved', 'false_alarm', 'abandoned', 'failed'];

const incidentsHelp = `Usage: vigil incidents list [--model ID] [--status S] [--url URL] [--key KEY] [--json]
       vigil incidents show ID [--url URL] [--key KEY] [--json]

list: incidents newest first (GET /v1/incidents), of one model and in one status
      (${STATUSES.join(', ')}).
show: one incident (GET /v1/incidents/{id}): status, current step, its steps, approvals,
      candidates and audit trail.

${connectionHelp}`;

/** `vigil incidents list [--model ID] [--status S]` and `vigil incidents show ID`. */
export async function runIncidents(args: string[], out: Write, err: Write): Promise<number> {
  const { values, positionals } = parse(args, { model: { type: 'string' }, status: { type: 'string' } });
  if (values.help) {
    out(incidentsHelp);
    return 0;
  }
  const [action, ...rest] = positionals;
  if (action === 'list') {
    if (rest.length) throw new CliError(`unexpected argument "${rest[0]}"`);
    if (values.status !== undefined && !STATUSES.includes(values.status))
      throw new CliError(`--status must be one of ${STATUSES.join(', ')}, got "${values.status}"`);
    const conn = connection(values);
    const query = new URLSearchParams();
    if (values.model) query.set('modelId', values.model);
    if (values.status) query.set('status', values.status);
    return calling('incidents', err, async () => {
      const body = {
        incidents: await getAll<IncidentSummary>(
          conn,
          `/v1/incidents${query.size ? `?${query}` : ''}`,
          'incidents',
        ),
      };
      if (values.json) return out(`${JSON.stringify(body, null, 2)}\n`);
      if (body.incidents.length === 0) return out('No incident.\n');
      out(
        columns(
          ['INCIDENT', 'MODEL', 'STATUS', 'STEP', 'OPENED', 'CYCLES'],
          body.incidents.map((i) => [
            i.incidentId,
            i.modelId,
            i.status,
            i.currentStep,
            i.openedAt,
            i.retrainingCycles,
          ]),
        ),
      );
    });
  }
  if (action === 'show') {
    if (values.model !== undefined || values.status !== undefined)
      throw new CliError('--model and --status apply to "incidents list" only');
    if (rest.length !== 1) throw new CliError('expected "vigil incidents show ID"');
    const id = rest[0] as string;
    const conn = connection(values);
    return calling('incidents', err, async () => {
      const incident = await get<IncidentDetail>(conn, `/v1/incidents/${encodeURIComponent(id)}`);
      if (values.json) return out(`${JSON.stringify(incident, null, 2)}\n`);
      out(showIncident(incident));
    });
  }
  throw new CliError(
    action === undefined
      ? 'expected "vigil incidents list" or "vigil incidents show ID"'
      : `unknown action "${action}" (list or show)`,
  );
}

function showIncident(incident: IncidentDetail): string {
  const parts = [
    facts([
      ['Incident', incident.incidentId],
      ['Model', incident.modelId],
      ['Version', incident.version],
      ['Status', incident.status],
      ['Current step', incident.currentStep],
      ['Opened', incident.openedAt],
      ['Closed', incident.closedAt],
      ['Time to resolution', duration(incident.timeToResolutionSeconds)],
      ['Retraining cycles', incident.retrainingCycles],
      [
        'Promoted',
        incident.promotion && `${incident.promotion.version} (from ${incident.promotion.previousVersion})`,
      ],
    ]),
    `\nReasons:\n${incident.reasons.map((r) => `  - ${r}\n`).join('')}`,
    `\nSteps:\n${columns(
      ['  AT', 'STEP', 'EVENT', 'OUTCOME', 'BY'],
      incident.history.map((h) => [`  ${h.at}`, h.step, h.event, h.outcome, h.by]),
    )}`,
  ];
  if (incident.approvals.length) {
    parts.push(
      `\nApprovals:\n${columns(
        ['  STEP', 'STATUS', 'REQUESTED', 'DECISION', 'BY', 'RECIPIENTS'],
        incident.approvals.map((a) => [
          `  ${a.step}`,
          a.status,
          a.requestedAt,
          a.decision,
          a.decidedBy,
          a.recipients.join(', '),
        ]),
      )}`,
    );
    if (incident.approvalsNextToken) {
      parts.push(`  and more: GET /v1/incidents/${incident.incidentId}/approvals pages through all.\n`);
    }
  }
  if (incident.candidates?.length) {
    parts.push(
      `\nCandidates:\n${columns(
        ['  VERSION', 'CYCLE', 'SUBMITTED', 'BY'],
        incident.candidates.map((c) => [`  ${c.version}`, c.cycle, c.submittedAt, c.submittedBy]),
      )}`,
    );
    if (incident.candidatesNextToken) {
      parts.push(`  and more: GET /v1/incidents/${incident.incidentId}/candidates pages through all.\n`);
    }
  }
  if (incident.validationReport) {
    parts.push(
      `\nLatest re-validation: ${incident.validationReport.candidateVersion} ${incident.validationReport.passed ? 'passed' : 'failed'}\n`,
    );
  }
  parts.push(
    incident.auditNextToken
      ? `\nAudit trail: ${incident.audit.length} event(s) and more; --json shows them, GET /v1/incidents/${incident.incidentId}/audit pages through all.\n`
      : `\nAudit trail: ${incident.audit.length} event(s); --json shows them.\n`,
  );
  return parts.join('');
}

interface KpiReport {
  readonly modelId: string;
  readonly from: string;
  readonly to: string;
  readonly performanceDeviations: { count: number; evaluations: { windowEnd: string; reasons: string[] }[] };
  readonly retrainingCycles: { total: number; byIncident: Record<string, number> };
  readonly timeToResolution: {
    incidents: unknown[];
    medianSeconds: number | null;
    meanSeconds: number | null;
  };
  readonly userFeedback: {
    count: number;
    byCategory: Record<string, number>;
    predictions: number;
    perThousandPredictions: number | null;
  };
  readonly incidentsByOutcome: Record<string, number>;
}

const reportHelp = `Usage: vigil report MODEL [--from ISO] [--to ISO] [--url URL] [--key KEY] [--json]

The SOP's KPI report of a model over [from, to) (GET /v1/models/{id}/report): performance
deviations, retraining cycles, time to resolution, user feedback per 1,000 predictions,
incidents by outcome. The API's defaults: to = now, from = 30 days before.

  --from ISO    start, an ISO 8601 date-time with offset (2026-01-01T00:00:00Z)
  --to ISO      end (exclusive)

${connectionHelp}`;

/** `vigil report MODEL [--from ISO] [--to ISO]`. */
export async function runReport(args: string[], out: Write, err: Write): Promise<number> {
  const { values, positionals } = parse(args, { from: { type: 'string' }, to: { type: 'string' } });
  if (values.help) {
    out(reportHelp);
    return 0;
  }
  if (positionals.length !== 1) throw new CliError('expected "vigil report MODEL"');
  for (const name of ['from', 'to'] as const) {
    const value = values[name];
    if (value !== undefined && Number.isNaN(Date.parse(value)))
      throw new CliError(`--${name} must be an ISO 8601 date-time, got "${value}"`);
  }
  const modelId = positionals[0] as string;
  const conn = connection(values);
  const query = new URLSearchParams();
  if (values.from) query.set('from', values.from);
  if (values.to) query.set('to', values.to);
  return calling('report', err, async () => {
    const report = await get<KpiReport>(
      conn,
      `/v1/models/${encodeURIComponent(modelId)}/report${query.size ? `?${query}` : ''}`,
    );
    if (values.json) return out(`${JSON.stringify(report, null, 2)}\n`);
    const feedback = report.userFeedback;
    const categories = Object.entries(feedback.byCategory)
      .map(([name, n]) => `${name} ${n}`)
      .join(', ');
    const outcomes = Object.entries(report.incidentsByOutcome)
      .map(([name, n]) => `${name} ${n}`)
      .join(', ');
    out(
      `KPI report of ${report.modelId}, ${report.from} to ${report.to}\n\n${facts([
        ['Performance deviations', report.performanceDeviations.count],
        ['Retraining cycles', report.retrainingCycles.total],
        [
          'Time to resolution',
          report.timeToResolution.incidents.length
            ? `median ${duration(report.timeToResolution.medianSeconds)}, mean ${duration(report.timeToResolution.meanSeconds)} (${report.timeToResolution.incidents.length} closed)`
            : 'no incident closed',
        ],
        [
          'User feedback',
          `${feedback.count} over ${feedback.predictions} predictions${
            feedback.perThousandPredictions === null
              ? ''
              : ` (${feedback.perThousandPredictions.toFixed(2)} per 1,000)`
          }${categories ? `: ${categories}` : ''}`,
        ],
        ['Incidents opened', outcomes],
      ])}${
        report.performanceDeviations.count
          ? `\nBreaching windows (by window end):\n${report.performanceDeviations.evaluations
              .map((e) => `  ${e.windowEnd}  ${e.reasons.join('; ')}\n`)
              .join('')}`
          : ''
      }`,
    );
  });
}
