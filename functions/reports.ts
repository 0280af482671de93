import { apiHandler } from '#commons/api/handler';
import { principalOf, requireAdmin } from '#commons/api/principal';
import { parseParams } from '#commons/api/request';
import { loadEvaluation } from '#commons/evaluation/store';
import { HttpError, json } from '#commons/http';
import { modelIdSchema } from '#commons/registry/fields';
import { loadModel } from '#commons/registry/store';
import { evaluationReportHtml } from '#commons/reports/evaluation-html';
import { kpiReport } from '#commons/reports/kpi';
import { boundedKpiReport } from '#commons/reports/kpi-bounds';
import { kpiPeriodSchema } from '#commons/reports/period';
import { featureHref, reportQuerySchema } from '#commons/reports/report-bounds';
import * as z from '#commons/zod';

const modelPath = z.object({ modelId: modelIdSchema });
const evaluationPath = z.object({ evaluationId: z.uuid('an evaluation id (UUID)') });

/** Reports: the SOP's KPI report of a model (JSON) and an evaluation's HTML report. Admin key. */
export const handler = apiHandler({
  'GET /v1/models/{modelId}/report': async (event) => {
    requireAdmin(principalOf(event));
    const { modelId } = parseParams(event.pathParameters, modelPath, 'path');
    const { from, to } = parseParams(event.queryStringParameters, kpiPeriodSchema, 'query');
    const model = await loadModel(modelId);
    return json(200, boundedKpiReport(await kpiReport(model, from, to)));
  },

  'GET /v1/evaluations/{evaluationId}/report': async (event) => {
    requireAdmin(principalOf(event));
    const { evaluationId } = parseParams(event.pathParameters, evaluationPath, 'path');
    const { feature } = parseParams(event.queryStringParameters, reportQuerySchema, 'query');
    const evaluation = await loadEvaluation(evaluationId);
    if (feature !== undefined && !evaluation.drift.columns.some((column) => column.name === feature))
      throw new HttpError(400, 'invalid_request', 'The query has 1 problem(s)', [
        { path: 'query.feature', message: 'not a feature of this evaluation' },
      ]);
    const model = await loadModel(evaluation.modelId);
    const html = await evaluationReportHtml(model, evaluation, {
      ...(feature ? { feature } : {}),
      featureHref,
    });
    return {
      statusCode: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'content-security-policy':
          "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
      },
      body: html,
    };
  },
});
