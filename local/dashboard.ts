import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EvaluationRecord } from '../functions/commons/evaluation/store.ts';
import {
  type CandidateFormValues,
  candidateFormValues,
  candidateFromForm,
  emptyCandidateForm,
  type FieldErrors,
  fieldErrorsFromIssues,
} from './dashboard/candidate-form.ts';
import { homePage, incidentPage, messagePage, modelPage } from './dashboard/pages.ts';
import type { LocalGovernance } from './governance.ts';
import { fromThisMachine } from './loopback.ts';

/** The largest form the dashboard reads: a candidate with its notes fits easily. */
const MAX_FORM_BYTES = 64 * 1024;
const INCIDENT_ID = /^inc_[0-9a-f]{20}$/;
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const EVALUATION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Evaluations read per model for the overview. */
const EVALUATIONS_PER_MODEL = 10;
const EVALUATIONS_SHOWN = 25;
const INCIDENTS_SHOWN = 50;

/** Nothing loads from elsewhere, no script runs, nothing frames it; forms post back here only. */
const headers = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'",
  // Same-origin requests keep their Origin (the candidate form's check needs it); others get none.
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
} as const;

/** The local dashboard: answers `/` and `/dashboard/...`, and nothing else. */
export interface Dashboard {
  /** Takes the request when it is the dashboard's (true), else leaves it to the API (false). */
  route(request: IncomingMessage, response: ServerResponse): boolean;
}

class PageError extends Error {
  constructor(
    readonly statusCode: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

/** The stores the handlers use, imported once the runtime has configured the environment. */
async function loadStores() {
  const [
    registry,
    evaluations,
    incidents,
    view,
    candidate,
    reports,
    trends,
    http,
    delivery,
    evidence,
    evidenceHtml,
    verify,
  ] = await Promise.all([
    import('../functions/commons/registry/store.ts'),
    import('../functions/commons/evaluation/store.ts'),
    import('../functions/commons/incidents/store.ts'),
    import('../functions/commons/incidents/view.ts'),
    import('../functions/commons/incidents/candidate.ts'),
    import('../functions/commons/reports/evaluation-html.ts'),
    import('../functions/commons/reports/trends.ts'),
    import('../functions/commons/http.ts'),
    import('../functions/commons/delivery/store.ts'),
    import('../functions/commons/evidence/bundle.ts'),
    import('../functions/commons/evidence/html.ts'),
    import('../functions/commons/evidence/verify.ts'),
  ]);
  return {
    registry,
    evaluations,
    incidents,
    view,
    candidate,
    reports,
    trends,
    http,
    delivery,
    evidence,
    evidenceHtml,
    verify,
  };
}

/**
 * A form post must come from a dashboard page, not from another site's page posting to
 * localhost: the browser's `Sec-Fetch-Site` says same-origin and its `Origin` is this very host
 * (`null`, as a page with no referrer sends, is refused). Clients that send neither (curl) pass.
 */
function sameOrigin(request: IncomingMessage): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type))
    throw new PageError(415, 'Unsupported form', 'Send the form as application/x-www-form-urlencoded.');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES)
      throw new PageError(413, 'Too much text', `The form exceeds ${MAX_FORM_BYTES} bytes.`);
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Starts the dashboard over the runtime's stores and governance adapters. Call it after the
 * runtime set the environment: the stores read their table names when they load.
 */
export async function startDashboard(governance: LocalGovernance): Promise<Dashboard> {
  const stores = await loadStores();

  const send = (
    response: ServerResponse,
    status: number,
    body: string,
    extra: Record<string, string> = {},
  ) => {
    response.writeHead(status, { ...headers, ...extra });
    response.end(body);
  };

  /** `/`: every model with its state, the latest evaluations, incidents and the outbox. */
  async function home(): Promise<string> {
    const [models, incidents, subscribers] = await Promise.all([
      stores.registry.listModels(),
      stores.incidents.listIncidents({ limit: INCIDENTS_SHOWN }),
      stores.delivery.listSubscribers(),
    ]);
    const perModel = await Promise.all(
      models.map((m) => stores.evaluations.listEvaluations(m.modelId, { limit: EVALUATIONS_PER_MODEL })),
    );
    const latestEvaluation = new Map<string, EvaluationRecord>();
    for (const [i, model] of models.entries()) {
      const latest = perModel[i]?.[0];
      if (latest) latestEvaluation.set(model.modelId, latest);
    }
    const evaluations = perModel
      .flat()
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .slice(0, EVALUATIONS_SHOWN);
    return homePage({
      models,
      latestEvaluation,
      evaluations,
      incidents,
      outbox: [...governance.outbox.list()].reverse(),
      delivery: subscribers.map((subscriber) => ({
        address: subscriber.address,
        state: subscriber.state,
        models: models
          .filter((m) =>
            Object.values(m.approvers).some((list) =>
              list.some((a) => a.toLowerCase() === subscriber.address),
            ),
          )
          .map((m) => m.modelId),
      })),
      now: new Date(),
    });
  }

  async function incident(
    incidentId: string,
    form?: { values: CandidateFormValues; errors: FieldErrors },
  ): Promise<string> {
    const incident = await stores.view.incidentDetail(incidentId).catch((error: unknown) => {
      if (error instanceof stores.http.HttpError && error.statusCode === 404)
        throw new PageError(404, 'No such incident', `There is no incident ${incidentId}.`);
      throw error;
    });
    const [model, task] = await Promise.all([
      stores.registry.getModel(incident.modelId),
      stores.incidents.getCandidateTask(incidentId),
    ]);
    const waitsForCandidate = incident.status === 'open' && task !== undefined;
    return incidentPage({
      incident,
      ...(model ? { model } : {}),
      ...(governance.workflow.execution(incidentId)
        ? { execution: governance.workflow.execution(incidentId) }
        : {}),
      waitsForCandidate,
      form: form ?? { values: emptyCandidateForm, errors: {} },
    });
  }

  /**
   * The candidate form: validated with the API's schema, then the API's own use case
   * (`submitCandidate`) as the admin. Accepted: 303 to the incident. Refused: the page again
   * with the form as typed and the problems by field (400, or 409 when it stopped waiting).
   */
  async function submit(
    request: IncomingMessage,
    response: ServerResponse,
    incidentId: string,
  ): Promise<void> {
    if (!sameOrigin(request))
      throw new PageError(403, 'Refused', 'The candidate form must be posted from the dashboard itself.');
    const values = candidateFormValues(await readForm(request));
    const parsed = candidateFromForm(values);
    if ('errors' in parsed)
      return send(response, 400, await incident(incidentId, { values, errors: parsed.errors }));
    try {
      const userAgent = request.headers['user-agent'];
      await stores.candidate.submitCandidate(
        incidentId,
        parsed.input,
        { kind: 'admin' },
        {
          ...(request.socket.remoteAddress ? { sourceIp: request.socket.remoteAddress } : {}),
          ...(userAgent ? { userAgent } : {}),
        },
      );
    } catch (error) {
      if (!(error instanceof stores.http.HttpError) || error.statusCode >= 500) throw error;
      if (error.statusCode === 404)
        throw new PageError(404, 'No such incident', `There is no incident ${incidentId}.`);
      const errors = fieldErrorsFromIssues(error.message, error.issues);
      return send(response, error.statusCode, await incident(incidentId, { values, errors }));
    }
    response.writeHead(303, { location: `/dashboard/incidents/${incidentId}`, 'cache-control': 'no-store' });
    response.end();
  }

  async function evaluationReport(evaluationId: string): Promise<string> {
    const evaluation = await stores.evaluations.getEvaluation(evaluationId);
    const model = evaluation && (await stores.registry.getModel(evaluation.modelId));
    if (!evaluation || !model)
      throw new PageError(404, 'No such evaluation', `There is no evaluation ${evaluationId}.`);
    return stores.reports.evaluationReportHtml(model, evaluation);
  }

  /**
   * The incident's evidence bundle, as `GET /v1/incidents/{id}/evidence` answers it without a
   * key: the page (verified against the runtime's public keys) or the JSON to save.
   */
  async function evidence(incidentId: string, format: 'html' | 'json'): Promise<string> {
    const bundle = await stores.evidence.evidenceBundle(incidentId).catch((error: unknown) => {
      if (error instanceof stores.http.HttpError && error.statusCode === 404)
        throw new PageError(404, 'No such incident', `There is no incident ${incidentId}.`);
      throw error;
    });
    if (format === 'json') return `${JSON.stringify(bundle, null, 2)}\n`;
    const check = stores.verify.verifyBundle(bundle, await stores.evidence.evidenceJwks());
    return stores.evidenceHtml.evidencePage(bundle, check).body;
  }

  /** `/dashboard/models/{id}`: the model and its trends over its latest evaluations. */
  async function model(modelId: string): Promise<string> {
    const found = await stores.registry.getModel(modelId);
    if (!found) throw new PageError(404, 'No such model', `There is no model ${modelId}.`);
    const limit = stores.trends.TREND_EVALUATIONS;
    const [evaluations, incidents] = await Promise.all([
      stores.evaluations.listEvaluations(modelId, { limit }),
      stores.incidents.listIncidents({ modelId, limit }),
    ]);
    return modelPage({ model: found, evaluations, incidents, now: new Date() });
  }

  async function serve(request: IncomingMessage, response: ServerResponse, pathname: string): Promise<void> {
    const method = request.method ?? 'GET';
    if (!fromThisMachine(request))
      throw new PageError(403, 'Local only', 'The dashboard answers requests from this machine only.');
    const read = method === 'GET' || method === 'HEAD';
    if (pathname === '/' || pathname === '/dashboard' || pathname === '/dashboard/') {
      if (!read) throw new PageError(405, 'Method not allowed', `${method} is not allowed here.`);
      return send(response, 200, await home());
    }
    let parts: string[];
    try {
      parts = pathname.split('/').slice(2).map(decodeURIComponent);
    } catch {
      throw new PageError(404, 'Not found', 'There is no such dashboard page.');
    }
    const [kind, id = '', action, ...rest] = parts;
    if (kind === 'incidents' && INCIDENT_ID.test(id) && rest.length === 0) {
      if (action === undefined) {
        if (!read) throw new PageError(405, 'Method not allowed', `${method} is not allowed here.`);
        return send(response, 200, await incident(id));
      }
      if (action === 'evidence' || action === 'evidence.json') {
        if (!read) throw new PageError(405, 'Method not allowed', `${method} is not allowed here.`);
        if (action === 'evidence') return send(response, 200, await evidence(id, 'html'));
        return send(response, 200, await evidence(id, 'json'), {
          'content-type': 'application/json; charset=utf-8',
          'content-disposition': `attachment; filename="evidence-${id}.json"`,
        });
      }
      if (action === 'candidate') {
        if (method !== 'POST') throw new PageError(405, 'Method not allowed', 'Post the candidate form.');
        return submit(request, response, id);
      }
    }
    if (kind === 'models' && MODEL_ID.test(id) && action === undefined) {
      if (!read) throw new PageError(405, 'Method not allowed', `${method} is not allowed here.`);
      return send(response, 200, await model(id));
    }
    if (kind === 'evaluations' && EVALUATION_ID.test(id) && action === undefined) {
      if (!read) throw new PageError(405, 'Method not allowed', `${method} is not allowed here.`);
      return send(response, 200, await evaluationReport(id));
    }
    throw new PageError(404, 'Not found', 'There is no such dashboard page.');
  }

  return {
    route(request, response) {
      const { pathname } = new URL(request.url ?? '/', 'http://localhost');
      if (pathname !== '/' && pathname !== '/dashboard' && !pathname.startsWith('/dashboard/')) return false;
      serve(request, response, pathname).catch((error: unknown) => {
        if (response.headersSent) return response.destroy();
        if (error instanceof PageError) {
          return send(response, error.statusCode, messagePage(error.title, error.message), {
            ...(error.statusCode === 405 ? { allow: 'GET, HEAD, POST' } : {}),
          });
        }
        console.error('vigil: dashboard request failed', error);
        send(
          response,
          500,
          messagePage('Something went wrong', 'The dashboard could not answer; see the console.'),
        );
      });
      return true;
    },
  };
}
