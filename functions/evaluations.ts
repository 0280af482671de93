import { apiHandler } from '#commons/api/handler';
import { principalOf, requireAdmin } from '#commons/api/principal';
import { afterEvaluation } from '#commons/evaluation/breach';
import { evaluateModel } from '#commons/evaluation/evaluate';
import { followUnapprovedVersion } from '#commons/evaluation/follow-up';
import { recordEvaluationMetrics } from '#commons/evaluation/metrics';
import { modelIdOf } from '#commons/evaluation/model-path';
import { HttpError, json } from '#commons/http';
import { loadModel } from '#commons/registry/store';

/**
 * Evaluations: run one now. Admin key. Listing and reading them is a function of its own
 * (`evaluation-reads.ts`), which loads no statistics. The model id is its only input: checked by
 * the registry's pattern, with the schema library loaded only to refuse a bad one (`modelIdOf`).
 */
export const handler = apiHandler({
  'POST /v1/models/{modelId}/evaluations': async (event) => {
    requireAdmin(principalOf(event));
    const modelId = await modelIdOf(event);
    const model = await loadModel(modelId);
    if (model.baselineVersion === undefined) {
      throw new HttpError(409, 'baseline_required', `Model ${modelId} has no baseline to evaluate against`, [
        { path: 'baseline', message: 'fit a baseline first' },
      ]);
    }
    const evaluation = await evaluateModel(model, { end: new Date(), trigger: 'manual' });
    const outcome = await afterEvaluation(model, evaluation);
    // A revert asked of an unapproved version is done once production alone served this window.
    await followUnapprovedVersion(model, evaluation, { startWorkflow: false });
    recordEvaluationMetrics(evaluation);
    return json(201, {
      ...evaluation,
      ...(outcome.incident ? { incidentId: outcome.incident.incidentId } : {}),
      breachStreak: outcome.streak,
    });
  },
});
