import { parseParams } from '#commons/api/request';
import { modelIdSchema } from '#commons/registry/fields';
import * as z from '#commons/zod';

const modelPath = z.object({ modelId: modelIdSchema });

/**
 * The path of a model's route parsed by its schema: the model id, or a 400 naming `path.modelId`
 * and the problem (`evaluation/model-path.ts` loads this for an id its pattern refuses).
 */
export function parseModelPath(pathParameters: Record<string, string | undefined> | null): string {
  return parseParams(pathParameters, modelPath, 'path').modelId;
}
