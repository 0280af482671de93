import { describe, expect, it } from 'vitest';
import { parseBody, parseParams, zodIssues } from '#commons/api/request';
import { evaluationListQuerySchema } from '#commons/evaluation/schema';
import { evidencePathSchema, evidenceQuerySchema } from '#commons/evidence/schema';
import { HttpError } from '#commons/http';
import { candidateInputSchema, incidentListQuerySchema } from '#commons/incidents/schema';
import { webhookInputSchema } from '#commons/webhooks/registration';
import { failuresQuerySchema, webhookPathSchema } from '#commons/webhooks/schema';
import * as z from '#commons/zod';

process.env.GOVERNANCE_TABLE ??= 'unit-governance';
process.env.TELEMETRY_TABLE ??= 'unit-telemetry';
process.env.VIGIL_SIGNING_SECRET ??= 'unit-signing-secret';

/** What a schema makes of an input: the parsed value, or each issue's path and message as the API answers them. */
function outcome(schema: z.core.$ZodType, input: unknown) {
  const result = z.safeParse(schema, input);
  return result.success ? { data: result.data } : { issues: zodIssues(result.error) };
}

/** The error a call throws. */
function thrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('nothing thrown');
}

const options = (values: string[]) =>
  `Invalid option: expected one of ${values.map((v) => `"${v}"`).join('|')}`;

describe('the schema library', () => {
  it("answers in zod's English words", () => {
    const result = z.safeParse(z.object({ name: z.string().check(z.minLength(1)) }), { name: '' });
    expect(result.error?.issues[0]?.message).toBe('Too small: expected string to have >=1 characters');
  });
});

describe('the query, path and body schemas of incidents, evaluations, evidence and webhooks', () => {
  it('read list queries with their default page sizes and refuse bad limits and filters by name', () => {
    expect(outcome(incidentListQuerySchema, {})).toEqual({ data: { limit: 100 } });
    expect(outcome(incidentListQuerySchema, { limit: '5', status: 'open', kind: 'breach' })).toEqual({
      data: { limit: 5, status: 'open', kind: 'breach' },
    });
    expect(outcome(incidentListQuerySchema, { limit: '0' })).toEqual({
      issues: [{ path: 'limit', message: 'Too small: expected number to be >=1' }],
    });
    expect(outcome(incidentListQuerySchema, { limit: '101', status: 'closed', kind: 'drift' })).toEqual({
      issues: [
        {
          path: 'status',
          message: options(['open', 'resolved', 'false_alarm', 'abandoned', 'reverted', 'failed']),
        },
        { path: 'kind', message: options(['breach', 'unapproved_version', 'baseline_review']) },
        { path: 'limit', message: 'Too big: expected number to be <=100' },
      ],
    });
    expect(outcome(incidentListQuerySchema, { limit: '1.5' })).toEqual({
      issues: [{ path: 'limit', message: 'Invalid input: expected int, received number' }],
    });
    expect(outcome(incidentListQuerySchema, { limit: 'abc' })).toEqual({
      issues: [{ path: 'limit', message: 'Invalid input: expected number, received NaN' }],
    });

    expect(outcome(evaluationListQuerySchema, {})).toEqual({ data: { limit: 50 } });
    const window = { from: '2024-01-01T00:00:00+02:00', to: '2024-01-02T00:00:00Z' };
    expect(outcome(evaluationListQuerySchema, { limit: '100', ...window })).toEqual({
      data: { limit: 100, ...window },
    });
    expect(outcome(evaluationListQuerySchema, { from: '2024-01-01', limit: '200' })).toEqual({
      issues: [
        { path: 'limit', message: 'Too big: expected number to be <=100' },
        { path: 'from', message: 'Invalid ISO datetime' },
      ],
    });

    expect(outcome(failuresQuerySchema, {})).toEqual({ data: { limit: 20 } });
    expect(outcome(failuresQuerySchema, { limit: '51', other: 'x' })).toEqual({
      issues: [
        { path: 'limit', message: 'Too big: expected number to be <=50' },
        { path: '(body)', message: 'Unrecognized key: "other"' },
      ],
    });

    expect(outcome(evidenceQuerySchema, {})).toEqual({ data: { format: 'json', fromSeq: 1 } });
    expect(outcome(evidenceQuerySchema, { format: 'pdf' })).toEqual({
      issues: [{ path: 'format', message: options(['json', 'html']) }],
    });
  });

  it('name the path parameter at fault with its own message, under query or path', () => {
    expect(outcome(evidencePathSchema, { incidentId: 'inc_x' })).toEqual({
      issues: [{ path: 'incidentId', message: 'an incident id such as inc_0123456789abcdef0123' }],
    });
    expect(outcome(webhookPathSchema, { webhookId: 'wh_x' })).toEqual({
      issues: [{ path: 'webhookId', message: 'a webhook id such as wh_0123456789abcdef0123' }],
    });
    const thrown = thrownBy(() => parseParams({ limit: '0' }, evaluationListQuerySchema, 'query'));
    expect(thrown).toBeInstanceOf(HttpError);
    expect(thrown).toMatchObject({
      statusCode: 400,
      code: 'invalid_request',
      message: 'The query has 1 problem(s)',
      issues: [{ path: 'query.limit', message: 'Too small: expected number to be >=1' }],
    });
  });

  it('read a webhook with its defaults, trimmed, and refuse each bad field by name', () => {
    expect(
      outcome(webhookInputSchema, {
        url: 'https://hooks.example.com/vigil',
        events: ['incident.opened'],
        description: '  on call  ',
      }),
    ).toEqual({
      data: {
        url: 'https://hooks.example.com/vigil',
        events: ['incident.opened'],
        format: 'standard',
        description: 'on call',
      },
    });
    expect(
      outcome(webhookInputSchema, {
        url: 'ftp://hooks.example.com',
        events: ['nope', 'incident.opened', 'incident.opened'],
        format: 'teams',
        extra: 1,
      }),
    ).toEqual({
      issues: [
        { path: 'url', message: 'must be https' },
        {
          path: 'events[0]',
          message:
            'an event type: one of evaluation.breach, incident.opened, incident.step_waiting, incident.decided, incident.closed, model.promoted, model.rolled_back, model.unapproved_version',
        },
        { path: 'format', message: options(['standard', 'slack']) },
        { path: '(body)', message: 'Unrecognized key: "extra"' },
      ],
    });
    const url = 'https://hooks.example.com';
    expect(outcome(webhookInputSchema, { url, events: [] })).toEqual({
      issues: [{ path: 'events', message: 'Too small: expected array to have >=1 items' }],
    });
    expect(outcome(webhookInputSchema, { url, events: ['incident.opened', 'incident.opened'] })).toEqual({
      issues: [{ path: 'events', message: 'each event type once' }],
    });
    expect(
      outcome(webhookInputSchema, { url, events: ['incident.opened'], description: 'a'.repeat(501) }),
    ).toEqual({
      issues: [{ path: 'description', message: 'Too big: expected string to have <=500 characters' }],
    });
  });

  it('read a candidate with empty notes by default and refuse each bad field by name', () => {
    const candidate = {
      version: '1.1.0',
      artifactUri: 's3://models/churn/1.1.0',
      metrics: { auc: 0.91 },
      scopeChanged: false,
    };
    expect(outcome(candidateInputSchema, candidate)).toEqual({ data: { ...candidate, notes: '' } });
    const event = {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...candidate, artifactUri: '', scopeChanged: 'no', notes: 5, extra: true }),
      isBase64Encoded: false,
    } as unknown as Parameters<typeof parseBody>[0];
    expect(thrownBy(() => parseBody(event, candidateInputSchema))).toMatchObject({
      statusCode: 400,
      code: 'invalid_request',
      message: 'The request has 4 problem(s)',
      issues: [
        { path: 'artifactUri', message: 'Too small: expected string to have >=1 characters' },
        { path: 'scopeChanged', message: 'Invalid input: expected boolean, received string' },
        { path: 'notes', message: 'Invalid input: expected string, received number' },
        { path: '(body)', message: 'Unrecognized key: "extra"' },
      ],
    });
  });

  it("refuse a human step request of the state machine by field, as the task's failure says", async () => {
    const { humanStepRequestSchema } = await import('#commons/approvals/request');
    expect(
      outcome(humanStepRequestSchema, {
        incidentId: '',
        step: 's',
        kind: 'vote',
        roles: [],
        options: [],
        cycle: -1,
        reminder: 1.5,
        timeoutSeconds: 0,
        taskToken: 't',
      }),
    ).toEqual({
      issues: [
        { path: 'incidentId', message: 'Too small: expected string to have >=1 characters' },
        { path: 'kind', message: options(['decision', 'pir', 'candidate', 'baseline']) },
        { path: 'roles', message: 'Too small: expected array to have >=1 items' },
        { path: 'cycle', message: 'Too small: expected number to be >=0' },
        { path: 'reminder', message: 'Invalid input: expected int, received number' },
        { path: 'timeoutSeconds', message: 'Too small: expected number to be >=1' },
      ],
    });
  });
});
