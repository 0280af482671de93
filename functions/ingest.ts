import type { APIGatewayProxyEvent } from 'aws-lambda';
import { apiHandler } from '#commons/api/handler';
import { principalOf, requireModelAccess } from '#commons/api/principal';
import { parseBody, parseParams } from '#commons/api/request';
import { HttpError, json } from '#commons/http';
import { modelIdSchema } from '#commons/registry/fields';
import { type IngestModel, loadIngestModel } from '#commons/registry/ingest-model';
import { ingestActuals, ingestFeedback, ingestMetrics, ingestPredictions } from '#commons/telemetry/ingest';
import { plainPredictionBatch } from '#commons/telemetry/plain-records';
import {
  actualsBatchSchema,
  feedbackSchema,
  MAX_RECORDS,
  metricsBatchSchema,
  predictionBatchSchema,
} from '#commons/telemetry/records';
import * as z from '#commons/zod';
import { logger } from '#powertools/logger';
import { metrics } from '#powertools/metrics';

const modelPath = z.object({ modelId: modelIdSchema });

/** The model of the path, once the caller may send data for it. */
async function authorisedModel(event: APIGatewayProxyEvent): Promise<IngestModel> {
  const principal = principalOf(event);
  const { modelId } = parseParams(event.pathParameters, modelPath, 'path');
  requireModelAccess(principal, modelId, 'ingest');
  return loadIngestModel(modelId);
}

/** Parses a batch body, refusing more than MAX_RECORDS records with 413 before any other check. */
function parseBatch<S extends z.core.$ZodType<{ records: unknown[] }>>(
  event: APIGatewayProxyEvent,
  schema: S,
  accepted?: (data: unknown) => z.output<S> | undefined,
): z.output<S> {
  const batch = parseBody(event, schema, accepted);
  if (batch.records.length > MAX_RECORDS) {
    throw new HttpError(413, 'too_many_records', `A batch holds at most ${MAX_RECORDS} records`, [
      {
        path: 'records',
        message: `${batch.records.length} records; split them into batches of ${MAX_RECORDS}`,
      },
    ]);
  }
  return batch;
}

/** Counts what was refused, then lets the error become its response. */
function counted<T>(kind: string, work: () => Promise<T>): Promise<T> {
  return work().catch((error: unknown) => {
    if (error instanceof HttpError && error.statusCode < 500)
      metrics.addMetric(`${kind}Rejected`, 'Count', 1);
    throw error;
  });
}

/**
 * The ingest API: what model endpoints send. Each request is validated whole before anything
 * is written; a rejected request writes nothing.
 */
export const handler = apiHandler({
  'POST /v1/models/{modelId}/predictions': (event) =>
    counted('Predictions', async () => {
      const model = await authorisedModel(event);
      const batch = parseBatch(event, predictionBatchSchema, plainPredictionBatch);
      const result = await ingestPredictions(model, batch);
      if (!result.replayed) metrics.addMetric('PredictionsIngested', 'Count', result.accepted);
      logger.info('predictions ingested', { accepted: result.accepted, replayed: result.replayed ?? false });
      return json(202, result);
    }),

  'POST /v1/models/{modelId}/actuals': (event) =>
    counted('Actuals', async () => {
      const model = await authorisedModel(event);
      const batch = parseBatch(event, actualsBatchSchema);
      const result = await ingestActuals(model, batch);
      if (!result.replayed) {
        metrics.addMetric('ActualsMatched', 'Count', result.matched);
        metrics.addMetric('ActualsUnmatched', 'Count', result.unmatched);
      }
      return json(202, result);
    }),

  'POST /v1/models/{modelId}/metrics': (event) =>
    counted('MetricPoints', async () => {
      const model = await authorisedModel(event);
      const batch = parseBatch(event, metricsBatchSchema);
      const result = await ingestMetrics(model, batch);
      if (!result.replayed) metrics.addMetric('MetricPointsIngested', 'Count', result.accepted);
      return json(202, result);
    }),

  'POST /v1/models/{modelId}/feedback': (event) =>
    counted('Feedback', async () => {
      const model = await authorisedModel(event);
      const feedback = parseBody(event, feedbackSchema);
      const result = await ingestFeedback(model, feedback, {
        sourceIp: event.requestContext.identity?.sourceIp ?? undefined,
        userAgent: event.requestContext.identity?.userAgent ?? undefined,
      });
      if (!result.replayed) metrics.addMetric('FeedbackReceived', 'Count', 1);
      return json(202, result);
    }),
});
