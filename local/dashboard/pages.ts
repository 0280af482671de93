import { isBaselineReviewDue } from '../../functions/commons/baseline-review/due.ts';
import type { EvaluationRecord } from '../../functions/commons/evaluation/store.ts';
import { chartStyles } from '../../functions/commons/html/chart-styles.ts';
import { html, SafeHtml } from '../../functions/commons/html/layout.ts';
import type { IncidentRecord } from '../../functions/commons/incidents/types.ts';
import type { IncidentDetail } from '../../functions/commons/incidents/view.ts';
import type { ModelRecord } from '../../functions/commons/registry/store.ts';
import { trendsSection } from '../../functions/commons/reports/trends.ts';
import type { OutboxMessage } from '../outbox.ts';
import type { LocalExecution } from '../workflow.ts';
import type { CandidateFormValues, FieldErrors } from './candidate-form.ts';

/** Baselines older than a quarter are flagged (SOP Appendix A). */
const DAY_MS = 86_400_000;

/** Inline only: no external asset, no script. System fonts, visible focus, light and dark. */
const styles = `
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #57606a; --line: #d0d7de; --accent: #0b57d0; --bad: #b3261e; --good: #146c2e; --warn: #8a5a00; --band: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9ea7b3; --line: #30363d; --accent: #7cacf8; --bad: #ff8a80; --good: #7ee2a8; --warn: #f2cc60; --band: #161b22; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header, main, footer { max-width: 80rem; margin: 0 auto; padding: 0 1rem; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .25rem 1.5rem; padding-top: 1rem; padding-bottom: .5rem; border-bottom: 1px solid var(--line); }
header .brand { font-weight: 700; font-size: 1.1rem; color: var(--fg); text-decoration: none; }
nav ul { display: flex; gap: 1rem; list-style: none; margin: 0; padding: 0; }
main { padding-top: 1rem; padding-bottom: 2rem; }
footer { border-top: 1px solid var(--line); padding-top: .75rem; padding-bottom: 2rem; color: var(--muted); font-size: .9rem; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: .5rem 0; }
h2 { font-size: 1.15rem; margin: 1.75rem 0 .5rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
a { color: var(--accent); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .5rem 0; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
.table { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: .25rem 0 .75rem; }
caption { text-align: left; color: var(--muted); padding: .25rem 0; }
th, td { text-align: left; padding: .35rem .55rem; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { background: var(--band); font-weight: 600; white-space: nowrap; }
tbody th { font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td ul { margin: 0; padding-left: 1.1rem; }
td ul.details { list-style: none; padding: 0; font-size: .9rem; overflow-wrap: anywhere; }
.nowrap { white-space: nowrap; }
.status { display: inline-block; padding: 0 .45rem; border-radius: .6rem; border: 1px solid currentColor; font-size: .85rem; white-space: nowrap; }
.bad { color: var(--bad); }
.good { color: var(--good); }
.warn { color: var(--warn); }
.muted { color: var(--muted); }
.empty { color: var(--muted); font-style: italic; }
ol.timeline { list-style: none; margin: .5rem 0; padding: 0 0 0 1rem; border-left: 2px solid var(--line); }
ol.timeline li { position: relative; margin: 0 0 .6rem; padding-left: .75rem; }
ol.timeline li::before { content: ""; position: absolute; left: -1.45rem; top: .45rem; width: .7rem; height: .7rem; border-radius: 50%; background: var(--bg); border: 2px solid var(--accent); }
ol.timeline li.left::before { background: var(--accent); }
ol.timeline time { color: var(--muted); font-variant-numeric: tabular-nums; margin-right: .5rem; }
.notice { border-left: 4px solid var(--accent); padding: .5rem 1rem; margin: 1rem 0; background: var(--band); }
.notice.bad { border-color: var(--bad); }
form { max-width: 44rem; }
fieldset { border: 1px solid var(--line); padding: .75rem 1rem; margin: 1rem 0; }
legend { font-weight: 600; padding: 0 .25rem; }
label { display: block; margin: .6rem 0 .15rem; font-weight: 600; }
label.check { font-weight: normal; display: flex; gap: .5rem; align-items: center; }
.hint { display: block; color: var(--muted); font-size: .9rem; margin: 0 0 .2rem; }
.error { display: block; color: var(--bad); font-size: .9rem; margin: .15rem 0; }
input[type=text], textarea { width: 100%; font: inherit; padding: .4rem .5rem; border: 1px solid var(--line); border-radius: .25rem; background: var(--bg); color: var(--fg); }
input[aria-invalid=true], textarea[aria-invalid=true] { border-color: var(--bad); }
textarea { min-height: 5rem; }
button { font: inherit; margin-top: .75rem; padding: .5rem 1.1rem; border: 0; border-radius: .3rem; background: var(--accent); color: #fff; cursor: pointer; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: .25rem 0; font-size: .85rem; }
details summary { cursor: pointer; color: var(--accent); }
`;

/** A complete dashboard page: language, title, banner with navigation, one main, the footer. */
export function layout(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<link rel="icon" href="data:,">
<title>${title} · Vigil dashboard</title>
<style>${new SafeHtml(styles + chartStyles)}</style>
</head>
<body>
<header>
<a class="brand" href="/">Vigil</a>
<nav aria-label="Dashboard"><ul><li><a href="/#models">Models</a></li><li><a href="/#evaluations">Evaluations</a></li><li><a href="/#incidents">Incidents</a></li><li><a href="/#delivery">Delivery</a></li><li><a href="/#outbox">Outbox</a></li></ul></nav>
</header>
<main>
${body}
</main>
<footer><p>Local-only dashboard of the Vigil runtime on this machine (<code>npm start</code>): it answers requests from this machine only, needs no API key, and is not part of the deployed stack. The API and the approval pages are the same as in AWS.</p></footer>
</body>
</html>
`.value;
}

/** A short page: heading, message, a way back. */
export function messagePage(title: string, message: string): string {
  return layout(title, html`<h1>${title}</h1><p>${message}</p><p><a href="/">Back to the dashboard</a></p>`);
}

function caption(text: string): SafeHtml {
  return html`<caption>${text}</caption>`;
}

function headRow(columns: readonly string[]): SafeHtml {
  return html`<thead><tr>${columns.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>`;
}

function time(at: string | undefined): SafeHtml {
  return at
    ? html`<time datetime="${at}" class="nowrap">${at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>`
    : html`–`;
}

function statusBadge(status: string): SafeHtml {
  const tone =
    status === 'breach' || status === 'failed' || status === 'open'
      ? 'bad'
      : status === 'ok' || status === 'resolved' || status === 'false_alarm'
        ? 'good'
        : 'muted';
  return html`<span class="status ${tone}">${status.replace('_', ' ')}</span>`;
}

function deliveryBadge(state: string): SafeHtml {
  const tone = state === 'confirmed' ? 'good' : 'bad';
  return html`<span class="status ${tone}">${state.replace('_', ' ')}</span>`;
}

function list(items: readonly string[]): SafeHtml {
  return items.length ? html`<ul>${items.map((item) => html`<li>${item}</li>`)}</ul>` : html`–`;
}

function incidentLink(incidentId: string): SafeHtml {
  return html`<a href="/dashboard/incidents/${encodeURIComponent(incidentId)}">${incidentId}</a>`;
}

/** The incident's signed evidence bundle: the page and the JSON to verify offline. */
function evidenceLinks(incidentId: string): SafeHtml {
  return html`<a href="/dashboard/incidents/${incidentId}/evidence">evidence</a> (<a href="/dashboard/incidents/${incidentId}/evidence.json">JSON</a>)`;
}

function modelLink(modelId: string, text: string): SafeHtml {
  return html`<a href="/dashboard/models/${encodeURIComponent(modelId)}">${text}</a>`;
}

function evaluationLink(evaluationId: string, text = evaluationId): SafeHtml {
  return html`<a href="/dashboard/evaluations/${encodeURIComponent(evaluationId)}">${text}</a>`;
}

/** A link a person can follow: only http(s) URLs become links, the rest stay text. */
function externalLink(url: string): SafeHtml {
  return /^https?:\/\//i.test(url) ? html`<a href="${url}">${url}</a>` : html`${url}`;
}

export function baselineAge(
  model: Pick<ModelRecord, 'baselineCreatedAt' | 'baselineReviewedAt' | 'governance'>,
  now: Date,
): { days: number; stale: boolean } | undefined {
  if (!model.baselineCreatedAt) return undefined;
  const days = Math.max(0, Math.floor((now.getTime() - Date.parse(model.baselineCreatedAt)) / DAY_MS));
  // Stale: due for its review (governance.baselineReviewDays after fitting or the last review).
  return { days, stale: isBaselineReviewDue(model, now) };
}

export interface HomeData {
  readonly models: readonly ModelRecord[];
  /** Each model's latest evaluation, by model id. */
  readonly latestEvaluation: ReadonlyMap<string, EvaluationRecord>;
  /** Every model's recent evaluations together, newest first. */
  readonly evaluations: readonly EvaluationRecord[];
  readonly incidents: readonly IncidentRecord[];
  /** Newest first. */
  readonly outbox: readonly OutboxMessage[];
  /** Every address Vigil tracks, with its delivery state and the models that name it. */
  readonly delivery: readonly { address: string; state: string; models: readonly string[] }[];
  readonly now: Date;
}

/** `/`: models and their state, the latest evaluations, incidents, the outbox. */
export function homePage(data: HomeData): string {
  const openByModel = new Map(
    data.incidents.filter((i) => i.status === 'open').map((i) => [i.modelId, i] as const),
  );
  const models = data.models.length
    ? html`<div class="table"><table>${caption('Registered models')}${headRow([
        'Model',
        'Owner',
        'Production version',
        'Baseline',
        'Latest evaluation',
        'Open incident',
      ])}<tbody>${data.models.map((model) => {
        const age = baselineAge(model, data.now);
        const latest = data.latestEvaluation.get(model.modelId);
        const open = openByModel.get(model.modelId);
        return html`<tr><th scope="row">${modelLink(model.modelId, model.name)}<br><span class="muted">${model.modelId}</span></th><td>${model.owner}</td><td>${model.productionVersion ?? html`<span class="empty">none</span>`}</td><td>${
          model.baselineVersion
            ? html`v${model.baselineVersion}${age ? html`, ${age.days} day${age.days === 1 ? '' : 's'} old${age.stale ? html` <span class="status warn">stale</span>` : ''}` : ''}`
            : html`<span class="empty">none</span>`
        }</td><td>${latest ? html`${statusBadge(latest.status)} ${evaluationLink(latest.evaluationId, 'report')}<br><span class="muted">${time(latest.windowEnd)}</span>` : html`<span class="empty">none yet</span>`}</td><td>${open ? html`${incidentLink(open.incidentId)}<br><span class="muted">${open.currentStep}</span>` : html`<span class="empty">none</span>`}</td></tr>`;
      })}</tbody></table></div>`
    : html`<p class="empty">No model is registered yet (<code>PUT /v1/models/{id}</code>).</p>`;

  const evaluations = data.evaluations.length
    ? html`<div class="table"><table>${caption('Latest evaluations, newest first')}${headRow([
        'Evaluation',
        'Model',
        'Status',
        'Window',
        'Samples',
        'Reasons',
        'Incident',
      ])}<tbody>${data.evaluations.map(
        (e) =>
          html`<tr><th scope="row">${evaluationLink(e.evaluationId, `report ${e.evaluationId.slice(0, 8)}`)}</th><td>${e.modelId}</td><td>${statusBadge(e.status)}</td><td>${time(e.windowStart)} –<br>${time(e.windowEnd)}</td><td class="num">${e.samples}</td><td>${list(e.reasons)}</td><td>${e.incidentId ? incidentLink(e.incidentId) : '–'}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="empty">No evaluation yet.</p>`;

  const incidents = data.incidents.length
    ? html`<div class="table"><table>${caption('Incidents, newest first')}${headRow([
        'Incident',
        'Model',
        'Status',
        'Current step',
        'Opened',
        'Retraining cycles',
        'Evidence',
      ])}<tbody>${data.incidents.map(
        (i) =>
          html`<tr><th scope="row">${incidentLink(i.incidentId)}</th><td>${i.modelId}</td><td>${statusBadge(i.status)}</td><td>${i.currentStep}</td><td>${time(i.openedAt)}</td><td class="num">${i.retrainingCycles}</td><td>${i.status === 'open' ? html`<span class="muted">open</span>` : evidenceLinks(i.incidentId)}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="empty">No incident.</p>`;

  const delivery = data.delivery.length
    ? html`<div class="table"><table>${caption("Approvers' email subscriptions (SNS in AWS): only confirmed addresses receive email")}${headRow(
        ['Address', 'State', 'Named by'],
      )}<tbody>${data.delivery.map(
        (d) =>
          html`<tr><th scope="row">${d.address}</th><td>${deliveryBadge(d.state)}</td><td>${list(d.models)}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="empty">No approver address yet.</p>`;

  const outbox = data.outbox.length
    ? html`<div class="table"><table>${caption('Emails the runtime sent, newest first (SNS email in AWS)')}${headRow(
        ['Sent', 'To', 'Subject', 'Links'],
      )}<tbody>${data.outbox.map(
        (m) =>
          html`<tr><td>${time(m.sentAt)}</td><td>${m.to}${m.delivered === false ? html`<br><span class="status bad">not delivered</span>` : ''}</td><th scope="row"><details><summary>${m.subject}</summary><pre>${m.text}</pre></details></th><td>${m.links.length ? html`<ul>${m.links.map((link) => html`<li>${externalLink(link)}</li>`)}</ul>` : '–'}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="empty">No email sent yet.</p>`;

  return layout(
    'Overview',
    html`<h1>Vigil on this machine</h1>
<section aria-labelledby="models"><h2 id="models">Models</h2>${models}</section>
<section aria-labelledby="evaluations"><h2 id="evaluations">Evaluations</h2>${evaluations}</section>
<section aria-labelledby="incidents"><h2 id="incidents">Incidents</h2>${incidents}</section>
<section aria-labelledby="delivery"><h2 id="delivery">Delivery</h2>${delivery}</section>
<section aria-labelledby="outbox"><h2 id="outbox">Outbox</h2><p class="muted">Approval links are the links a person follows from the email; each is signed for its recipient.</p>${outbox}</section>`,
  );
}

export interface IncidentPageData {
  readonly incident: IncidentDetail;
  readonly model?: ModelRecord;
  /** The local execution of the incident's workflow, when the engine knows it. */
  readonly execution?: LocalExecution;
  /** The incident waits for a candidate: the form is shown. */
  readonly waitsForCandidate: boolean;
  readonly form?: { readonly values: CandidateFormValues; readonly errors: FieldErrors };
}

function fieldErrors(id: string, errors: readonly string[] | undefined): SafeHtml {
  return errors?.length
    ? html`${errors.map((e, i) => html`<span class="error" id="${id}-error-${i}">${e}</span>`)}`
    : html``;
}

function describedBy(id: string, errors: readonly string[] | undefined): SafeHtml {
  const ids = [`${id}-hint`, ...(errors ?? []).map((_, i) => `${id}-error-${i}`)];
  return html` aria-describedby="${ids.join(' ')}"${errors?.length ? html` aria-invalid="true"` : ''}`;
}

function candidateForm(incident: IncidentRecord, values: CandidateFormValues, errors: FieldErrors): SafeHtml {
  return html`<section aria-labelledby="submit-candidate"><h2 id="submit-candidate">Submit the retrained candidate</h2>
<p>The incident waits for its retraining step (SOP 6.4). This form does what a training pipeline does with <code>POST /v1/incidents/${incident.incidentId}/candidate</code>, as the admin.</p>
${errors.form?.length ? html`<div class="notice bad" role="alert"><strong>The candidate was not accepted.</strong>${list(errors.form)}</div>` : ''}
<form method="post" action="/dashboard/incidents/${encodeURIComponent(incident.incidentId)}/candidate">
<fieldset><legend>Candidate version</legend>
<label for="version">Version</label>
<span class="hint" id="version-hint">A semantic version greater than production's (for example 1.1.0).</span>
<input type="text" id="version" name="version" required value="${values.version}"${describedBy('version', errors.version)}>
${fieldErrors('version', errors.version)}
<label for="artifactUri">Artifact URI</label>
<span class="hint" id="artifactUri-hint">Where the trained artifact is (for example s3://models/churn/1.1.0).</span>
<input type="text" id="artifactUri" name="artifactUri" required value="${values.artifactUri}"${describedBy('artifactUri', errors.artifactUri)}>
${fieldErrors('artifactUri', errors.artifactUri)}
<label for="metrics">Metrics</label>
<span class="hint" id="metrics-hint">One <code>name=value</code> per line, or a JSON object such as {"accuracy": 0.91}.</span>
<textarea id="metrics" name="metrics" rows="4"${describedBy('metrics', errors.metrics)}>${values.metrics}</textarea>
${fieldErrors('metrics', errors.metrics)}
<label class="check" for="scopeChanged"><input type="checkbox" id="scopeChanged" name="scopeChanged" value="true"${values.scopeChanged ? html` checked` : ''}${describedBy('scopeChanged', errors.scopeChanged)}> Scope, functionality or data usage changed</label>
<span class="hint" id="scopeChanged-hint">When ticked, the AI-IRB and Legal review the candidate after QA (SOP 6.5).</span>
${fieldErrors('scopeChanged', errors.scopeChanged)}
<label for="notes">Notes</label>
<span class="hint" id="notes-hint">What changed: data, parameters, features.</span>
<textarea id="notes" name="notes" rows="3"${describedBy('notes', errors.notes)}>${values.notes}</textarea>
${fieldErrors('notes', errors.notes)}
</fieldset>
<button type="submit">Submit the candidate</button>
</form></section>`;
}

/** An audit event's details as `name: value` lines; lists joined, objects as compact JSON. */
function detailsList(details: Record<string, unknown>): SafeHtml {
  const shown = (value: unknown): string =>
    Array.isArray(value) && value.every((v) => typeof v !== 'object')
      ? value.join(', ')
      : typeof value === 'object' && value !== null
        ? JSON.stringify(value)
        : String(value);
  return html`<ul class="details">${Object.entries(details).map(
    ([name, value]) => html`<li><span class="muted">${name}:</span> ${shown(value)}</li>`,
  )}</ul>`;
}

/**
 * HTML each list of the incident's page takes at most (one item at least): the detail's first
 * pages are bounded in JSON, but a value HTML escapes takes up to three times its JSON.
 */
export const DASHBOARD_LIST_BYTES = 250_000;

/** The first items whose markup fits {@link DASHBOARD_LIST_BYTES}, and how many are left out. */
function within<T>(items: readonly T[], render: (item: T) => SafeHtml): { shown: SafeHtml[]; left: number } {
  const shown: SafeHtml[] = [];
  let room = DASHBOARD_LIST_BYTES;
  for (const item of items) {
    const markup = render(item);
    const size = Buffer.byteLength(markup.value, 'utf8');
    if (shown.length > 0 && size > room) break;
    shown.push(markup);
    room -= size;
  }
  return { shown, left: items.length - shown.length };
}

/** Under a list shown in part (cut to its bytes, or the detail's first page only): where the rest is (the admin API pages through all). */
function more(left: number, nextToken: string | undefined, route: string): SafeHtml {
  if (!left && !nextToken) return html``;
  const shown = left
    ? `${left} more${nextToken ? ' and further pages' : ''} not shown here`
    : 'The first of them only';
  return html`<p class="muted">${shown}: <code>GET ${route}</code> pages through all.</p>`;
}

/**
 * `/dashboard/incidents/{id}`: the incident, its timeline, candidates, validation, and the candidate
 * form. Its lists are the first pages of the incident's detail (`GET /v1/incidents/{id}`), each
 * bounded in bytes, with where the rest is.
 */
export function incidentPage(data: IncidentPageData): string {
  const { incident, model, execution } = data;
  const candidates = incident.candidates ?? (incident.candidate ? [incident.candidate] : []);
  const reports =
    incident.validationReports ?? (incident.validationReport ? [incident.validationReport] : []);
  const summary = html`<dl>
<dt>Status</dt><dd>${statusBadge(incident.status)}</dd>
<dt>Current step</dt><dd>${incident.currentStep}</dd>
<dt>Model</dt><dd>${model ? `${model.name} (${model.modelId})` : incident.modelId}</dd>
<dt>Version when it opened</dt><dd>${incident.version}</dd>
<dt>Production version now</dt><dd>${model?.productionVersion ?? '–'}</dd>
<dt>Opened</dt><dd>${time(incident.openedAt)}</dd>
${incident.closedAt ? html`<dt>Closed</dt><dd>${time(incident.closedAt)}</dd>` : ''}
<dt>Retraining cycles</dt><dd>${incident.retrainingCycles}</dd>
<dt>Evaluations</dt><dd>${(incident.evaluations.length ? incident.evaluations : incident.evaluationId ? [incident.evaluationId] : []).map((id, i) => html`${i ? ', ' : ''}${evaluationLink(id, `report ${id.slice(0, 8)}`)}`)}</dd>
<dt>Why it opened</dt><dd>${list(incident.reasons)}</dd>
<dt>Evidence</dt><dd>${evidenceLinks(incident.incidentId)}: the hash chain of every governance event, its head signed</dd>
${incident.failure ? html`<dt>Failure</dt><dd class="bad">${incident.failure.error}: ${incident.failure.cause}</dd>` : ''}
</dl>`;

  const timeline = incident.history.length
    ? html`<ol class="timeline">${incident.history.map(
        (h) =>
          html`<li class="${h.event}">${time(h.at)}<strong>${h.step}</strong> ${h.event}${h.outcome ? html`: <em>${h.outcome}</em>` : ''}${h.by ? html` <span class="muted">by ${h.by}</span>` : ''}</li>`,
      )}</ol>`
    : html`<p class="empty">No step recorded yet.</p>`;

  const executionSection = execution
    ? html`<p>Local execution <code>${execution.name}</code>: ${statusBadge(execution.status.toLowerCase())}, started ${time(execution.startedAt)}${execution.current ? html`, now in state <strong>${execution.current.state}</strong>` : ''}.</p>
<details><summary>States entered (${execution.states.length})</summary><ol>${execution.states.map((s) => html`<li>${s}</li>`)}</ol></details>`
    : html`<p class="empty">The local engine has no execution of this incident${incident.executionArn ? html` (${incident.executionArn})` : ''}.</p>`;

  const approvalRows = within(
    incident.approvals,
    (a) =>
      html`<tr><th scope="row">${a.step}${a.reminder ? html` <span class="muted">(reminder ${a.reminder})</span>` : ''}</th><td>${statusBadge(a.status)}</td><td>${list(a.recipients)}</td><td>${time(a.requestedAt)}</td><td>${a.decision ?? a.closedReason ?? '–'}</td><td>${a.decidedBy ?? '–'}${a.decidedAt ? html`<br>${time(a.decidedAt)}` : ''}</td><td>${a.comment ?? '–'}</td></tr>`,
  );
  const approvals = incident.approvals.length
    ? html`<div class="table"><table>${caption('Requests for a decision, oldest first')}${headRow([
        'Step',
        'Status',
        'Recipients',
        'Requested',
        'Decision',
        'Decided by',
        'Comment',
      ])}<tbody>${approvalRows.shown}</tbody></table></div>`
    : html`<p class="empty">No decision requested yet.</p>`;

  const auditRows = within(
    incident.audit,
    (e) =>
      html`<tr><td>${time(e.at)}</td><th scope="row">${e.type}</th><td>${e.actor}${e.sourceIp ? html`<br><span class="muted">${e.sourceIp}</span>` : ''}</td><td>${e.step ?? '–'}</td><td>${e.details ? detailsList(e.details) : '–'}</td></tr>`,
  );
  const audit = incident.audit.length
    ? html`<div class="table"><table>${caption('Append-only audit trail, oldest first')}${headRow([
        'When',
        'Event',
        'Actor',
        'Step',
        'Details',
      ])}<tbody>${auditRows.shown}</tbody></table></div>`
    : html`<p class="empty">No audit event yet.</p>`;

  const candidateRows = within(
    candidates,
    (c) =>
      html`<tr><th scope="row">${c.version}</th><td class="num">${c.cycle}</td><td>${time(c.submittedAt)}<br><span class="muted">by ${c.submittedBy}</span></td><td>${list(Object.entries(c.metrics).map(([k, v]) => `${k} = ${v}`))}</td><td>${c.scopeChanged ? 'yes' : 'no'}</td><td>${c.artifactUri}</td><td>${c.notes || '–'}</td></tr>`,
  );
  const candidateTable = candidates.length
    ? html`<div class="table"><table>${caption('Candidates submitted for this incident')}${headRow([
        'Version',
        'Cycle',
        'Submitted',
        'Metrics',
        'Scope changed',
        'Artifact',
        'Notes',
      ])}<tbody>${candidateRows.shown}</tbody></table></div>`
    : html`<p class="empty">No candidate yet.</p>`;

  const reportTables = within(
    reports,
    (r) =>
      html`<div class="table"><table>${caption(`Re-validation of ${r.candidateVersion} against production ${r.productionVersion} at ${r.checkedAt}: ${r.passed ? 'passed' : 'failed'}`)}${headRow(
        ['Metric', 'Rule', 'Limit', 'Candidate', 'Production', 'Result'],
      )}<tbody>${r.checks.map(
        (c) =>
          html`<tr><th scope="row">${c.metric}</th><td>${c.rule}</td><td class="num">${c.limit ?? '–'}</td><td class="num">${c.actual ?? '–'}</td><td class="num">${c.baseline ?? '–'}</td><td class="${c.passed ? 'good' : 'bad'}">${c.message}</td></tr>`,
      )}</tbody></table></div>`,
  );
  const validation = reports.length
    ? html`${reportTables.shown}`
    : html`<p class="empty">No re-validation yet.</p>`;

  return layout(
    `Incident ${incident.incidentId}`,
    html`<h1>Incident ${incident.incidentId}</h1>
<section aria-labelledby="summary"><h2 id="summary">Summary</h2>${summary}</section>
${
  data.waitsForCandidate && data.form
    ? candidateForm(incident, data.form.values, data.form.errors)
    : data.form?.errors.form?.length
      ? html`<div class="notice bad" role="alert"><strong>The candidate was not accepted.</strong>${list(data.form.errors.form)}</div>`
      : ''
}
<section aria-labelledby="timeline"><h2 id="timeline">Timeline</h2>${timeline}${executionSection}</section>
<section aria-labelledby="approvals"><h2 id="approvals">Approvals</h2>${approvals}${more(approvalRows.left, incident.approvalsNextToken, `/v1/incidents/${incident.incidentId}/approvals`)}</section>
<section aria-labelledby="candidates"><h2 id="candidates">Candidates</h2>${candidateTable}${more(candidateRows.left, incident.candidatesNextToken, `/v1/incidents/${incident.incidentId}/candidates`)}</section>
<section aria-labelledby="validation"><h2 id="validation">Validation report</h2>${validation}${more(reportTables.left, incident.validationReportsNextToken, `/v1/incidents/${incident.incidentId}/validation-reports`)}</section>
<section aria-labelledby="audit"><h2 id="audit">Audit trail</h2>${audit}${more(auditRows.left, incident.auditNextToken, `/v1/incidents/${incident.incidentId}/audit`)}</section>`,
  );
}

export interface ModelPageData {
  readonly model: ModelRecord;
  /** The model's latest evaluations, newest first. */
  readonly evaluations: readonly EvaluationRecord[];
  /** The model's incidents, newest first. */
  readonly incidents: readonly IncidentRecord[];
  readonly now: Date;
}

/** `/dashboard/models/{id}`: the model, its trends over the latest evaluations, its evaluations and incidents. */
export function modelPage(data: ModelPageData): string {
  const { model } = data;
  const age = baselineAge(model, data.now);
  const bounds = Object.entries(model.thresholds.performance).map(
    ([metric, bound]) =>
      `${metric}${bound.min !== undefined ? ` ≥ ${bound.min}` : ''}${bound.max !== undefined ? ` ≤ ${bound.max}` : ''}${bound.maxRelativeDrop !== undefined ? `, drop ≤ ${bound.maxRelativeDrop * 100}%` : ''}`,
  );
  const summary = html`<dl>
<dt>Model id</dt><dd>${model.modelId}</dd>
<dt>Owner</dt><dd>${model.owner}</dd>
<dt>Task</dt><dd>${model.task}</dd>
<dt>Production version</dt><dd>${model.productionVersion ?? html`<span class="empty">none</span>`}</dd>
<dt>Baseline</dt><dd>${model.baselineVersion ? html`v${model.baselineVersion}${age ? `, ${age.days} day${age.days === 1 ? '' : 's'} old` : ''}${age?.stale ? html` <span class="status warn">stale</span>` : ''}` : html`<span class="empty">none</span>`}</dd>
<dt>Schedule</dt><dd>${model.schedule.cron === undefined ? `every ${model.schedule.every}` : `cron ${model.schedule.cron} (${model.schedule.timezone ?? 'UTC'})`}, window ${model.schedule.window}, at least ${model.schedule.minSamples} samples</dd>
<dt>Performance thresholds</dt><dd>${bounds.length ? bounds.join('; ') : html`<span class="empty">none</span>`}</dd>
</dl>`;
  const evaluations = data.evaluations.length
    ? html`<div class="table"><table>${caption('Evaluations drawn above, newest first')}${headRow([
        'Evaluation',
        'Status',
        'Window end',
        'Samples',
        'Reasons',
        'Incident',
      ])}<tbody>${data.evaluations.map(
        (e) =>
          html`<tr><th scope="row">${evaluationLink(e.evaluationId, `report ${e.evaluationId.slice(0, 8)}`)}</th><td>${statusBadge(e.status)}</td><td>${time(e.windowEnd)}</td><td class="num">${e.samples}</td><td>${list(e.reasons)}</td><td>${e.incidentId ? incidentLink(e.incidentId) : '–'}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="empty">No evaluation yet.</p>`;
  const incidents = data.incidents.length
    ? html`<div class="table"><table>${caption('Incidents of this model, newest first')}${headRow([
        'Incident',
        'Status',
        'Current step',
        'Opened',
      ])}<tbody>${data.incidents.map(
        (i) =>
          html`<tr><th scope="row">${incidentLink(i.incidentId)}</th><td>${statusBadge(i.status)}</td><td>${i.currentStep}</td><td>${time(i.openedAt)}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="empty">No incident.</p>`;
  return layout(
    model.name,
    html`<h1>${model.name}</h1>
<section aria-labelledby="summary"><h2 id="summary">Summary</h2>${summary}</section>
<section aria-labelledby="trends"><h2 id="trends">Trends</h2>${trendsSection(
      { model, evaluations: data.evaluations, incidents: data.incidents },
      'h3',
    )}</section>
<section aria-labelledby="evaluations"><h2 id="evaluations">Evaluations</h2>${evaluations}</section>
<section aria-labelledby="incidents"><h2 id="incidents">Incidents</h2>${incidents}</section>`,
  );
}
