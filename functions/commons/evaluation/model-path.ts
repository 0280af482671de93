import type { APIGatewayProxyEvent } from 'aws-lambda';
import { MODEL_ID_PATTERN } from '../api/model-id.ts';
import { rarePaths } from './first-use.ts';

/**
 * The `modelId` of the path of evaluating now, whose only input it is: an id the registry's
 * pattern accepts is the path schema's output as it is, so the schema library loads only for one
 * it refuses (`api/model-path-schema.ts`, among the rare paths, on first use), whose 400 names the
 * field and the problem exactly as `parseParams` with the schema does on every other route.
 */
export async function modelIdOf(event: APIGatewayProxyEvent): Promise<string> {
  const modelId = event.pathParameters?.modelId;
  if (typeof modelId === 'string' && MODEL_ID_PATTERN.test(modelId)) return modelId;
  const { parseModelPath } = await rarePaths();
  return parseModelPath(event.pathParameters);
}
