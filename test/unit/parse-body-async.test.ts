import { describe, expect, it } from 'vitest';
import { parseBodyAsync } from '#commons/api/request';
import { modelInputSchema } from '#commons/registry/schema';
import * as z from '#commons/zod';

type Event = Parameters<typeof parseBodyAsync>[0];

const event = (body: string, contentType = 'application/json') =>
  ({ headers: { 'content-type': contentType }, body, isBase64Encoded: false }) as unknown as Event;

/** A schema whose check waits on something, as the cron check waits on croner's first load. */
const slowSchema = z.strictObject({
  name: z.string().check(
    z.refine(async (name) => {
      await new Promise((resolve) => setImmediate(resolve));
      return name !== 'taken';
    }, 'a name no other item has'),
  ),
});

/** The body parse for schemas with asynchronous checks answers as the synchronous one does. */
describe('parseBodyAsync', () => {
  it('answers the parsed body, or a 400 naming each field an asynchronous check refuses', async () => {
    expect(await parseBodyAsync(event('{"name":"free"}'), slowSchema)).toEqual({ name: 'free' });
    await expect(parseBodyAsync(event('{"name":"taken","extra":1}'), slowSchema)).rejects.toMatchObject({
      statusCode: 400,
      code: 'invalid_request',
      message: 'The request has 2 problem(s)',
      issues: [
        { path: '(body)', message: 'Unrecognized key: "extra"' },
        { path: 'name', message: 'a name no other item has' },
      ],
    });
  });

  it('refuses another media type, malformed JSON and reserved names before the schema runs', async () => {
    await expect(parseBodyAsync(event('{"name":"free"}', 'text/plain'), slowSchema)).rejects.toMatchObject({
      statusCode: 415,
      code: 'unsupported_media_type',
    });
    await expect(parseBodyAsync(event('{"name":'), slowSchema)).rejects.toMatchObject({
      statusCode: 400,
      code: 'invalid_json',
    });
    await expect(parseBodyAsync(event('{"name":"free","__proto__":{}}'), slowSchema)).rejects.toMatchObject({
      statusCode: 400,
      issues: [{ path: '__proto__' }],
    });
  });

  it("checks a model's cron schedule", async () => {
    const approvers = Object.fromEntries(
      ['dataScienceLead', 'devTeam', 'qa', 'irbLiaison', 'legal', 'mlops', 'operations', 'support'].map(
        (role) => [role, ['a@example.com']],
      ),
    );
    const model = (cron: string) =>
      JSON.stringify({
        name: 'm',
        owner: 'o',
        task: 'regression',
        features: [{ name: 'x', type: 'numerical' }],
        approvers,
        schedule: { cron },
      });
    expect((await parseBodyAsync(event(model('0 6 * * 1-5')), modelInputSchema)).schedule.cron).toBe(
      '0 6 * * 1-5',
    );
    await expect(parseBodyAsync(event(model('0 6 31 2 *x')), modelInputSchema)).rejects.toMatchObject({
      statusCode: 400,
      issues: [{ path: 'schedule.cron', message: expect.stringMatching(/^not a valid cron expression: /) }],
    });
  });
});
