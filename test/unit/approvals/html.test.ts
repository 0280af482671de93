import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { parseForm } from '../../../functions/commons/html/form.ts';
import { escapeHtml, html, messagePage, table } from '../../../functions/commons/html/layout.ts';

function formEvent(body: string, contentType = 'application/x-www-form-urlencoded'): APIGatewayProxyEvent {
  return {
    headers: { 'Content-Type': contentType },
    body,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEvent;
}

describe('pages', () => {
  it('escapes every inserted value unless it is markup built by html', () => {
    // Prepare
    const reason = `<script>alert("x")</script> & 'quotes'`;

    // Act
    const fragment = html`<p title="${reason}">${reason}</p>${html`<b>${'<i>'}</b>`}${[html`<br>`, '<hr>']}`;

    // Assess
    expect(fragment.value).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;</p><b>&lt;i&gt;</b><br>&lt;hr&gt;',
    );
    expect(escapeHtml(undefined)).toBe('');
  });

  it('renders tables with a caption and header cells, numbers right-aligned', () => {
    const markup = table('Drift', ['Feature', 'Score'], [['<age>', 0.123456]]).value;
    expect(markup).toContain('<caption class="muted">Drift</caption>');
    expect(markup).toContain('<th scope="col">Feature</th>');
    expect(markup).toContain('<td>&lt;age&gt;</td><td class="num">0.1235</td>');
  });

  it('answers pages that load nothing from elsewhere and cannot be framed or cached', () => {
    const result = messagePage(410, 'Closed', 'This request is <closed>.');
    expect(result.statusCode).toBe(410);
    expect(result.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
    });
    expect(String(result.headers?.['content-security-policy'])).toContain("default-src 'none'");
    expect(result.body).toContain('<p>This request is &lt;closed&gt;.</p>');
    expect(result.body).not.toMatch(/<script|<link|src=/);
  });
});

describe('form bodies', () => {
  it('reads url-encoded fields, keeping the first of a repeated field', () => {
    expect(
      parseForm(formEvent('token=a%2Bb&decision=approve&decision=reject&comment=line+one%0Aline+two')),
    ).toEqual({
      token: 'a+b',
      decision: 'approve',
      comment: 'line one\nline two',
    });
  });

  it('refuses another media type with 415 and a body over 64 KiB with 413', () => {
    expect(() => parseForm(formEvent('{"decision":"approve"}', 'application/json'))).toThrow(
      expect.objectContaining({ statusCode: 415 }),
    );
    expect(() => parseForm(formEvent(`comment=${'x'.repeat(70_000)}`))).toThrow(
      expect.objectContaining({ statusCode: 413 }),
    );
  });
});
