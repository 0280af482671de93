import type { APIGatewayProxyEvent } from 'aws-lambda';

/**
 * A model's id, as the registry takes it (`modelIdSchema` in `registry/fields.ts` checks it with
 * this pattern and message): letters, digits, `_`, `.` and `-`, at most 128, starting with a
 * letter or digit. It lives apart from the schemas so that a route can accept an id without
 * loading the schema library.
 */
export const MODEL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
export const MODEL_ID_MESSAGE =
  'letters, digits, "_", "." and "-", at most 128, starting with a letter or digit';

/**
 * The `modelId` of a route's path, for a function whose routes validate nothing else (evaluating
 * now): an id the pattern accepts is the path schema's output as it is, so the schema library
 * loads only for one it refuses (`model-path-schema.ts`, on first use), whose 400 names the field
 * and the problem exactly as `parseParams` with the schema does on every other route.
 */
export async function modelIdOf(event: APIGatewayProxyEvent): Promise<string> {
  const modelId = event.pathParameters?.modelId;
  if (typeof modelId === 'string' && MODEL_ID_PATTERN.test(modelId)) return modelId;
  const { parseModelPath } = await import('./model-path-schema.ts');
  return parseModelPath(event.pathParameters);
}
