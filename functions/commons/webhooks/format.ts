import type { WebhookEvent } from './events.ts';
import type { WebhookFormat } from './store.ts';

/**
 * Links to what an event is about, in the API (they answer the admin key; no signed link ever
 * leaves Vigil in a webhook, since a chat channel or a tracker is read by more than one person).
 */
export function eventLinks(data: Record<string, unknown>, publicUrl: string): Record<string, string> {
  const base = publicUrl.replace(/\/+$/, '');
  if (!base) return {};
  const links: Record<string, string> = {};
  const id = (key: string) =>
    typeof data[key] === 'string' ? encodeURIComponent(data[key] as string) : undefined;
  const incident = id('incidentId');
  const evaluation = id('evaluationId');
  const model = id('modelId');
  if (incident) links.incident = `${base}/v1/incidents/${incident}`;
  if (evaluation) links.evaluation = `${base}/v1/evaluations/${evaluation}`;
  if (evaluation) links.report = `${base}/v1/evaluations/${evaluation}/report`;
  if (model) links.model = `${base}/v1/models/${model}`;
  return links;
}

/** The JSON body of one delivery, by the webhook's format. */
export function deliveryBody(event: WebhookEvent, format: WebhookFormat, publicUrl: string): string {
  const links = eventLinks(event.data, publicUrl);
  if (format === 'slack') return JSON.stringify(slackMessage(event, links));
  return JSON.stringify({
    type: event.type,
    timestamp: event.timestamp,
    data: Object.keys(links).length > 0 ? { ...event.data, links } : event.data,
  });
}

const titles: Record<WebhookEvent['type'], string> = {
  'evaluation.breach': 'Evaluation breached its thresholds',
  'incident.opened': 'Incident opened',
  'incident.step_waiting': 'Incident step waiting for a person',
  'incident.decided': 'Incident step decided',
  'incident.closed': 'Incident closed',
  'model.promoted': 'Model version promoted',
  'model.rolled_back': 'Model version rolled back',
  'model.unapproved_version': 'Unapproved model version serving',
  'webhook.test': 'Test event',
};

/** Slack's escaping of text: `&`, `<` and `>` only. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A Slack incoming-webhook message: a summary line, the event's fields, and its links. */
export function slackMessage(
  event: WebhookEvent,
  links: Record<string, string>,
): { text: string; blocks: unknown[] } {
  const data = event.data;
  const str = (key: string) => (typeof data[key] === 'string' ? (data[key] as string) : undefined);
  const subject = [
    str('modelId') && `model ${str('modelId')}`,
    str('incidentId') && `incident ${str('incidentId')}`,
  ]
    .filter(Boolean)
    .join(', ');
  const text = `[Vigil] ${titles[event.type]}${subject ? `: ${subject}` : ''}`;
  const fields = Object.entries(data)
    .filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value))
    .slice(0, 10)
    .map(([key, value]) => ({
      type: 'mrkdwn',
      text: `*${slackEscape(key)}*\n${slackEscape(String(value))}`,
    }));
  const reasons = Array.isArray(data.reasons) ? (data.reasons as unknown[]).map(String).slice(0, 5) : [];
  const linkLine = Object.entries(links)
    .map(([name, url]) => `<${url}|${name}>`)
    .join(' · ');
  return {
    text: slackEscape(text),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${slackEscape(text)}*` } },
      ...(fields.length > 0 ? [{ type: 'section', fields }] : []),
      ...(reasons.length > 0
        ? [
            {
              type: 'section',
              text: { type: 'mrkdwn', text: reasons.map((r) => `• ${slackEscape(r)}`).join('\n') },
            },
          ]
        : []),
      ...(linkLine ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: linkLine }] }] : []),
    ],
  };
}
