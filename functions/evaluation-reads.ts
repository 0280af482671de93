import { apiHandler } from '#commons/api/handler';
import { decodePageToken, encodePageToken } from '#commons/api/page';
import { principalOf, requireAdmin } from '#commons/api/principal';
import { parseParams } from '#commons/api/request';
import { evaluationListQuerySchema } from '#commons/evaluation/schema';
import { isEvaluationPageKey, listEvaluationSummaries, loadEvaluation } from '#commons/evaluation/store';
import { json } from '#commons/http';
import { modelIdSchema } from '#commons/registry/fields';
import { loadModel } from '#commons/registry/store';
import * as z from '#commons/zod';

const modelPath = z.object({ modelId: modelIdSchema });
const evaluationPath = z.object({ evaluationId: z.uuid('an evaluation id (UUID)') });

/**
 * Evaluations, read side: list a model's, read one. Admin key. A function apart from the one
 * that evaluates (`evaluations.ts`): a read loads no statistics at its cold start, and its role
 * reads the governance table and nothing else.
 */
export const handler = apiHandler({
  'GET /v1/models/{modelId}/evaluations': async (event) => {
    requireAdmin(principalOf(event));
    const { modelId } = parseParams(event.pathParameters, modelPath, 'path');
    const query = parseParams(event.queryStringParameters, evaluationListQuerySchema, 'query');
    const after = decodePageToken(query.nextToken, (key) => isEvaluationPageKey(modelId, key));
    await loadModel(modelId);
    const page = await listEvaluationSummaries(modelId, { ...query, after });
    const nextToken = encodePageToken(page.nextKey);
    return json(200, { evaluations: page.evaluations, ...(nextToken ? { nextToken } : {}) });
  },

  'GET /v1/evaluations/{evaluationId}': async (event) => {
    requireAdmin(principalOf(event));
    const { evaluationId } = parseParams(event.pathParameters, evaluationPath, 'path');
    const evaluation = await loadEvaluation(evaluationId);
    return json(200, evaluation);
  },
});
