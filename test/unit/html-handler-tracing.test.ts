import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { htmlHandler } from '../../functions/commons/html/handler.ts';
import { html, page } from '../../functions/commons/html/layout.ts';
import { tracer } from '../../functions/commons/powertools/tracer.ts';

describe('pages opened from emails, traced', () => {
  afterEach(() => vi.restoreAllMocks());

  it('never put the page, which holds signed links and form tokens, into the trace', async () => {
    // Prepare: tracing on, as in Lambda, with no segment to open.
    vi.spyOn(tracer, 'isTracingEnabled').mockReturnValue(true);
    vi.spyOn(tracer, 'getSegment').mockReturnValue(undefined);
    vi.spyOn(tracer, 'annotateColdStart').mockImplementation(() => {});
    vi.spyOn(tracer, 'addServiceNameAnnotation').mockImplementation(() => {});
    const captured = vi.spyOn(tracer, 'addResponseAsMetadata').mockImplementation(() => {});
    const handler = htmlHandler({
      'GET /secret': async () => page(200, 'Signed', html`<a href="/x?sig=SECRET">x</a>`),
    });

    // Act
    const response = await handler(
      { httpMethod: 'GET', resource: '/secret', path: '/secret' } as APIGatewayProxyEvent,
      { awsRequestId: 'r-1', functionName: 'approvals' } as Context,
    );

    // Assess
    expect(response.body).toContain('sig=SECRET');
    expect(captured).not.toHaveBeenCalled();
  });
});
