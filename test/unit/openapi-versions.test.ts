import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../functions/commons/api/openapi.ts';

describe('OpenAPI: served versions and incident kinds', () => {
  // biome-ignore lint/suspicious/noExplicitAny: the test reads whatever JSON Schema the document holds
  const doc = openApiDocument() as { paths: Record<string, Record<string, any>> };

  it('documents modelVersion on prediction batches, versions on evaluations, and kind on incidents', () => {
    const batch =
      doc.paths['/v1/models/{modelId}/predictions']?.post.requestBody.content['application/json'].schema;
    expect(batch.properties.modelVersion).toMatchObject({ type: 'string', pattern: expect.any(String) });
    const evaluation =
      doc.paths['/v1/evaluations/{evaluationId}']?.get.responses['200'].content['application/json'];
    expect(evaluation.schema.properties.versions.items.required).toEqual(['version', 'predictions']);
    const list = doc.paths['/v1/incidents']?.get;
    expect(list.parameters.find((p: { name: string }) => p.name === 'kind').schema.enum).toEqual([
      'breach',
      'unapproved_version',
      'baseline_review',
    ]);
    const incident =
      doc.paths['/v1/incidents/{incidentId}']?.get.responses['200'].content['application/json'];
    expect(incident.schema.properties.kind.enum).toEqual(['breach', 'unapproved_version', 'baseline_review']);
    expect(incident.schema.properties.status.enum).toContain('reverted');
  });
});
