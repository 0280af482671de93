import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../../functions/commons/api/openapi.ts';
import { webhookEventTypes } from '../../../functions/commons/webhooks/events.ts';

describe('the OpenAPI document of the webhook routes', () => {
  it('lists every webhook route, the request body with its event types, and the failures page query', () => {
    // Act
    const paths = openApiDocument().paths as Record<string, Record<string, Record<string, unknown>>>;

    // Assess
    expect(Object.keys(paths['/v1/webhooks'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(paths['/v1/webhooks/{webhookId}'] ?? {})).toEqual(['delete']);
    expect(Object.keys(paths['/v1/webhooks/{webhookId}/test'] ?? {})).toEqual(['post']);
    const post = paths['/v1/webhooks']?.post as {
      security: unknown;
      requestBody: { content: Record<string, { schema: unknown }> };
    };
    expect(post.security).toEqual([{ apiKey: [] }]);
    const schema = post.requestBody.content['application/json']?.schema as {
      required: string[];
      properties: { events: { items: { enum: string[] } }; format: { enum: string[] } };
    };
    expect(schema.required).toEqual(['url', 'events']);
    expect(schema.properties.events.items.enum).toEqual([...webhookEventTypes]);
    expect(schema.properties.format.enum).toEqual(['standard', 'slack']);
    const failures = paths['/v1/webhooks/{webhookId}/failures']?.get as { parameters: { name: string }[] };
    expect(failures.parameters.map((p) => p.name)).toEqual(['webhookId', 'limit', 'nextToken']);
  });
});
