import type { APIGatewayProxyResult } from 'aws-lambda';
import { facts, html, page, type SafeHtml, table } from '#commons/html/layout';
import type { ChainEvent } from './chain.ts';
import type { BundleCheck, EvidenceBundle } from './verify.ts';

function summary(event: ChainEvent): string {
  const data = event.data as { step?: string; details?: Record<string, unknown> };
  const details = data.details ?? {};
  const parts = [
    data.step,
    typeof details.decision === 'string' ? `decision: ${details.decision}` : undefined,
    typeof details.outcome === 'string' ? `outcome: ${details.outcome}` : undefined,
    typeof details.comment === 'string' && details.comment ? `“${details.comment}”` : undefined,
  ];
  return parts.filter(Boolean).join(' · ');
}

function verdict(check: BundleCheck): SafeHtml {
  if (check.ok && check.fromSeq > 1) {
    return html`<p class="notice"><span class="good">Verified.</span> Events ${check.fromSeq} to ${check.seq} hash and link
correctly from the hash of event ${check.fromSeq - 1}, which this page does not hold, and event ${check.seq}'s hash <code>${check.head}</code> is
signed with key <code>${check.kid}</code> at ${check.signedAt}.</p>`;
  }
  if (check.ok) {
    return html`<p class="notice"><span class="good">Verified.</span> All ${check.seq} events hash and link
correctly, and the head <code>${check.head}</code> is signed with key <code>${check.kid}</code> at ${check.signedAt}.</p>`;
  }
  return html`<p class="notice bad"><span class="bad">Verification failed.</span> ${check.message}</p>`;
}

/**
 * The evidence bundle as one self-contained page for an auditor: the verification result, the
 * incident, the timeline of every governance event with its hash, each event's evidence, and
 * the bundle itself (to save and verify offline with `vigil evidence verify` or `openssl`).
 */
export function evidencePage(bundle: EvidenceBundle, check: BundleCheck): APIGatewayProxyResult {
  const { incident, events } = bundle;
  const title = `Evidence of incident ${incident.incidentId}`;
  return page(
    200,
    title,
    html`<h1>${title}</h1>
${verdict(check)}
${facts([
  ['Model', incident.modelId],
  ['Status', incident.status],
  ['Opened', incident.openedAt],
  ['Closed', incident.closedAt],
  ['Events', events.length],
  ['Head', bundle.head],
  ...(bundle.fromSeq ? ([['From seq', bundle.fromSeq]] as const) : []),
  ...(bundle.nextFromSeq
    ? ([['Next page', `?format=html&fromSeq=${bundle.nextFromSeq}: the chain goes on`]] as const)
    : []),
])}
<h2>Timeline</h2>
${table(
  'Every governance event of the incident, in chain order',
  ['seq', 'at', 'event', 'actor', 'what', 'hash'],
  events.map((event) => [
    String(event.seq),
    event.at,
    event.type,
    event.actor,
    summary(event),
    html`<code title="${event.hash}">${event.hash.slice(0, 16)}…</code>`,
  ]),
)}
<h2>Evidence</h2>
${events.map(
  (
    event,
  ) => html`<h3 id="seq-${event.seq}">${event.seq}. ${event.type} <span class="muted">${event.at}, ${event.actor}</span></h3>
<pre>${JSON.stringify(event.data, null, 2)}</pre>
<p class="muted">prevHash <code>${event.prevHash}</code><br>hash <code>${event.hash}</code></p>`,
)}
<h2>Signature</h2>
<p>A compact JWS (ES256) over <code>{"incidentId", "head", "seq", "signedAt"}</code>; the public keys are at
<code>/.well-known/jwks.json</code>.</p>
<pre>${bundle.signature}</pre>
<h2>The bundle</h2>
<details><summary>JSON, as <code>GET /v1/incidents/${incident.incidentId}/evidence</code> returns it</summary>
<pre>${JSON.stringify(bundle, null, 2)}</pre>
</details>`,
  );
}
