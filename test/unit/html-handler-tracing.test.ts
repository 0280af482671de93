import * as path from 'node:path';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { build } from 'esbuild';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { htmlHandler } from '../../functions/commons/html/handler.ts';
import { html, page } from '../../functions/commons/html/layout.ts';
import { HttpError } from '../../functions/commons/http.ts';
import { logger } from '../../functions/commons/powertools/logger.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');

describe('pages opened from emails, neither traced nor logged', () => {
  afterEach(() => vi.restoreAllMocks());

  it('load no tracer: nothing in a page handler can put the page, which holds signed links and form tokens, into a trace', async () => {
    // Act: the module graph of the page handler, as esbuild bundles it.
    const result = await build({
      entryPoints: [path.join(repoRoot, 'functions/commons/html/handler.ts')],
      bundle: true,
      write: false,
      outdir: 'out',
      platform: 'node',
      format: 'esm',
      metafile: true,
      logLevel: 'silent',
    });

    // Assess: the Powertools stack is there, the tracer and the X-Ray SDK are not.
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((input) => input.includes('@aws-lambda-powertools/logger/'))).toBe(true);
    expect(inputs.filter((input) => /@aws-lambda-powertools\/tracer\/|aws-xray-sdk/.test(input))).toEqual([]);
  }, 30_000);

  it('never log the page nor a refused request', async () => {
    // Prepare: every logger method watched.
    const calls = (['debug', 'info', 'warn', 'error'] as const).map((level) =>
      vi.spyOn(logger, level).mockImplementation(() => {}),
    );
    const handler = htmlHandler({
      'GET /secret': async () => page(200, 'Signed', html`<a href="/x?sig=SECRET">x</a>`),
      'POST /secret': async () => {
        throw new HttpError(403, 'forbidden', 'This link is not valid.');
      },
    });
    const context = { awsRequestId: 'r-1', functionName: 'approvals' } as Context;

    // Act
    const shown = await handler(
      {
        httpMethod: 'GET',
        resource: '/secret',
        path: '/secret',
        queryStringParameters: { sig: 'SECRET' },
      } as never,
      context,
    );
    const refused = await handler(
      {
        httpMethod: 'POST',
        resource: '/secret',
        path: '/secret',
        body: 'token=SECRET',
      } as unknown as APIGatewayProxyEvent,
      context,
    );

    // Assess: the pages were served, the refusal was logged, and no log call holds the secret.
    expect(shown.body).toContain('sig=SECRET');
    expect(refused.statusCode).toBe(403);
    const logged = calls.flatMap((spy) => spy.mock.calls);
    expect(logged.length).toBeGreaterThan(0);
    expect(JSON.stringify(logged)).not.toContain('SECRET');
  });
});
