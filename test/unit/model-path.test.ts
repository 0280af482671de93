import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { MODEL_ID_MESSAGE, MODEL_ID_PATTERN } from '../../functions/commons/api/model-id.ts';
import { parseParams } from '../../functions/commons/api/request.ts';
import { HttpError } from '../../functions/commons/http.ts';
import { modelIdSchema } from '../../functions/commons/registry/fields.ts';
import * as z from '../../functions/commons/zod.ts';

// The rare paths that hold the schema's refusal load the incident code, which reads the function's
// settings at load (no AWS service is called).
for (const [name, value] of Object.entries({
  GOVERNANCE_TABLE: 'unit-governance',
  TELEMETRY_TABLE: 'unit-telemetry',
  PUBLIC_URL: 'https://api.example.com/v1',
  SIGNING_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:signing',
  NOTIFICATIONS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:notifications',
  STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:governance',
}))
  process.env[name] ??= value;
const { modelIdOf } = await import('../../functions/commons/evaluation/model-path.ts');

const modelPath = z.object({ modelId: modelIdSchema });

/** What a route answers for these path parameters: the id, or the error it throws. */
async function answer(
  read: () => Promise<string> | string,
): Promise<string | { status: number; body: unknown }> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    return {
      status: error.statusCode,
      body: { code: error.code, message: error.message, issues: error.issues },
    };
  }
}

const ids = [
  'churn',
  'Churn-2024.v1_a',
  '0',
  'a'.repeat(128),
  'a'.repeat(129),
  '',
  '-dash-first',
  '.dot-first',
  '_underscore-first',
  'sp ace',
  'slash/inside',
  'ünïcode',
  'emoji😀',
  'line\nbreak',
  'tab\t',
  'a.b-c_d',
];

/** The model id of a path checked by the pattern, the schema loaded only to refuse one. */
describe('the model id of a path', () => {
  it('answers exactly what the path schema answers, for ids it accepts and ids it refuses', async () => {
    const cases: (Record<string, string | undefined> | null)[] = [
      ...ids.map((modelId) => ({ modelId })),
      null,
      {},
      { modelId: undefined },
    ];
    for (const pathParameters of cases) {
      const event = { pathParameters } as unknown as APIGatewayProxyEvent;
      expect(await answer(() => modelIdOf(event)), JSON.stringify(pathParameters)).toEqual(
        await answer(() => parseParams(pathParameters, modelPath, 'path').modelId),
      );
    }
  });

  it('refuses a malformed id with a 400 naming path.modelId and what an id is', async () => {
    const refused = await answer(() => modelIdOf({ pathParameters: { modelId: '-x' } } as never));
    expect(refused).toEqual({
      status: 400,
      body: {
        code: 'invalid_request',
        message: 'The path has 1 problem(s)',
        issues: [{ path: 'path.modelId', message: MODEL_ID_MESSAGE }],
      },
    });
  });

  it('is the pattern the registry checks model ids with', () => {
    expect(modelIdSchema.safeParse('-x').error?.issues[0]?.message).toBe(MODEL_ID_MESSAGE);
    for (const id of ids) expect(modelIdSchema.safeParse(id).success, id).toBe(MODEL_ID_PATTERN.test(id));
  });
});
