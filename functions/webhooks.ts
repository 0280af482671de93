import { randomBytes } from 'node:crypto';
import { apiHandler } from '#commons/api/handler';
import { decodePageToken, encodePageToken } from '#commons/api/page';
import { principalOf, requireAdmin } from '#commons/api/principal';
import { parseBody, parseParams } from '#commons/api/request';
import { HttpError, json } from '#commons/http';
import { newEventId } from '#commons/webhooks/events';
import { webhookQueue } from '#commons/webhooks/queue';
import { failuresQuerySchema, webhookPathSchema } from '#commons/webhooks/schema';
import { sealSecret } from '#commons/webhooks/secrets';
import { newWebhookSecret } from '#commons/webhooks/signing';
import {
  deleteWebhook,
  getWebhook,
  isFailurePageKey,
  listFailures,
  listWebhooks,
  MAX_WEBHOOKS,
  putNewWebhook,
  type WebhookRecord,
} from '#commons/webhooks/store';
import { metrics } from '#powertools/metrics';

/**
 * A webhook as the API shows it: never its secret, and its URL without path or query (a Slack
 * or CI URL carries its token there); the admin who registered it knows the rest.
 */
function view(webhook: WebhookRecord) {
  const url = new URL(webhook.url);
  const hidden = url.pathname !== '/' || url.search !== '';
  return {
    webhookId: webhook.webhookId,
    url: `${url.origin}${hidden ? '/…' : '/'}`,
    events: webhook.events,
    format: webhook.format,
    description: webhook.description,
    createdAt: webhook.createdAt,
  };
}

async function existing(webhookId: string): Promise<WebhookRecord> {
  const webhook = await getWebhook(webhookId);
  if (!webhook) {
    throw new HttpError(404, 'not_found', `No webhook ${webhookId}`, [
      { path: 'path.webhookId', message: 'no such webhook' },
    ]);
  }
  return webhook;
}

/** Outbound webhooks (admin): register, list, delete, send a test event, read failed deliveries. */
export const handler = apiHandler({
  'POST /v1/webhooks': async (event) => {
    requireAdmin(principalOf(event));
    // A few registrations in a webhook's life: the URL checks load on the first.
    const { webhookInputSchema } = await import('#commons/webhooks/registration');
    const input = parseBody(event, webhookInputSchema);
    const webhookId = `wh_${randomBytes(10).toString('hex')}`;
    const secret = newWebhookSecret();
    const webhook: WebhookRecord = {
      webhookId,
      url: input.url,
      events: input.events,
      format: input.format,
      description: input.description,
      createdAt: new Date().toISOString(),
      createdBy: 'admin',
      secret: await sealSecret(webhookId, secret),
    };
    if (!(await putNewWebhook(webhook))) {
      throw new HttpError(409, 'limit_reached', `Vigil keeps at most ${MAX_WEBHOOKS} webhooks`, [
        { path: 'url', message: `delete a webhook first: ${MAX_WEBHOOKS} exist` },
      ]);
    }
    metrics.addMetric('WebhooksCreated', 'Count', 1);
    // The secret is shown this once; Vigil keeps it sealed and never shows it again.
    return json(201, { ...view(webhook), secret });
  },

  'GET /v1/webhooks': async (event) => {
    requireAdmin(principalOf(event));
    return json(200, { webhooks: (await listWebhooks()).map(view) });
  },

  'DELETE /v1/webhooks/{webhookId}': async (event) => {
    requireAdmin(principalOf(event));
    const { webhookId } = parseParams(event.pathParameters, webhookPathSchema, 'path');
    if (!(await deleteWebhook(webhookId))) await existing(webhookId);
    return json(200, { webhookId, deleted: true });
  },

  'POST /v1/webhooks/{webhookId}/test': async (event) => {
    requireAdmin(principalOf(event));
    const { webhookId } = parseParams(event.pathParameters, webhookPathSchema, 'path');
    await existing(webhookId);
    const queue = webhookQueue();
    if (!queue) throw new HttpError(503, 'unavailable', 'No webhook queue is configured');
    const test = {
      id: newEventId(),
      type: 'webhook.test' as const,
      timestamp: new Date().toISOString(),
      data: {
        webhookId,
        message: 'A test event from Vigil: this webhook is reachable and its signature checks.',
      },
    };
    await queue.send([{ message: { kind: 'delivery', webhookId, event: test, attempt: 1 } }]);
    return json(202, { webhookId, eventId: test.id, queued: true });
  },

  'GET /v1/webhooks/{webhookId}/failures': async (event) => {
    requireAdmin(principalOf(event));
    const { webhookId } = parseParams(event.pathParameters, webhookPathSchema, 'path');
    const query = parseParams(event.queryStringParameters, failuresQuerySchema, 'query');
    await existing(webhookId);
    const after = decodePageToken(query.nextToken, (key) => isFailurePageKey(webhookId, key));
    const page = await listFailures(webhookId, query.limit, after);
    const nextToken = encodePageToken(page.nextKey);
    return json(200, { failures: page.failures, ...(nextToken ? { nextToken } : {}) });
  },
});
