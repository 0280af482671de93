import { describe, expect, it } from 'vitest';
import { errorResponse, HttpError, MAX_ISSUE_TEXT } from '#commons/http';

/**
 * An issue's path can hold a client's key and its message a client's text: each is cut, so that
 * a refusal's answer (and its log line) stays small whatever the request held.
 */
describe('the issues of a client error', () => {
  it('are cut to MAX_ISSUE_TEXT units with an ellipsis, short ones kept whole', () => {
    const error = new HttpError(400, 'invalid_request', 'The request has 2 problem(s)', [
      { path: `features.${'k'.repeat(100_000)}`, message: `Unrecognized keys: ${'"a", '.repeat(100_000)}` },
      { path: 'name', message: 'Invalid input' },
    ]);

    const body = JSON.parse(errorResponse(error).body as string);

    expect(body.error.issues[0].path).toHaveLength(MAX_ISSUE_TEXT);
    expect(body.error.issues[0].path).toMatch(/^features\.k+…$/);
    expect(body.error.issues[0].message).toHaveLength(MAX_ISSUE_TEXT);
    expect(body.error.issues[1]).toEqual({ path: 'name', message: 'Invalid input' });
  });

  it('never cuts a surrogate pair in half', () => {
    const emoji = '😀'.repeat(MAX_ISSUE_TEXT);
    const [issue] = new HttpError(400, 'invalid_request', 'x', [{ path: emoji, message: `a${emoji}` }])
      .issues;

    expect(issue?.path).toMatch(/^(😀)+…$/u);
    expect(issue?.message).toMatch(/^a(😀)+…$/u);
    expect(/\p{Cs}/u.test(`${issue?.path}${issue?.message}`)).toBe(false);
  });
});
