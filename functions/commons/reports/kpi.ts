import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '#clients/dynamodb';
import { ReadLimitError } from '#clients/query';
import { forEachConcurrently } from '#commons/concurrency';
import { requireEnv } from '#commons/config';
import { HttpError } from '#commons/http';
import { type EstimatedPerformanceSummary, summariseEstimates } from '../cbpe/evaluation.ts';
import { listEvaluations } from '../evaluation/store.ts';
import { type IncidentReportFields, listModelIncidentsOfPeriod } from '../incidents/store.ts';
import type { IncidentStatus } from '../incidents/types.ts';
import type { ModelRecord } from '../registry/store.ts';
import { bucketColumns, readBucket, sortDeltas, UNBINNED } from '../telemetry/deltas.ts';
import { TOTALS_COLUMN, telemetryKeys, utcDay } from '../telemetry/keys.ts';
import { KPI_MAX_EVALUATIONS, KPI_MAX_INCIDENTS } from './period.ts';
import { type VersionsReport, versionsReport } from './versions.ts';

const telemetryTable = requireEnv('TELEMETRY_TABLE');

/** The SOP's section 5 metrics of a model over a period, plus incidents by outcome. */
export interface KpiReport {
  readonly modelId: string;
  readonly from: string;
  readonly to: string;
  /** 1. Evaluations in the period whose performance or drift broke the thresholds. */
  readonly performanceDeviations: {
    count: number;
    evaluations: { evaluationId: string; windowEnd: string; reasons: string[] }[];
  };
  /** 2. Retraining cycles of the incidents opened in the period. */
  readonly retrainingCycles: { total: number; byIncident: Record<string, number> };
  /** 3. From detection to resolution, for incidents closed in the period. */
  readonly timeToResolution: {
    incidents: { incidentId: string; status: IncidentStatus; seconds: number }[];
    medianSeconds: number | null;
    meanSeconds: number | null;
  };
  /** 4. User complaints and queries, and their rate per 1,000 predictions. */
  readonly userFeedback: {
    count: number;
    byCategory: Record<string, number>;
    predictions: number;
    perThousandPredictions: number | null;
  };
  readonly incidentsByOutcome: Record<IncidentStatus, number>;
  /** Estimated against realised performance, for a model with a positive class (docs/drift.md). */
  readonly estimatedPerformance?: EstimatedPerformanceSummary;
  /** Served model versions (SOP 6.1.1): what the period's evaluations saw, and the incidents of unapproved ones. */
  readonly versions: VersionsReport;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const within = (at: string | undefined, from: string, to: string) =>
  at !== undefined && at >= from && at < to;

/** The UTC days from `from`'s through `to`'s, both included (YYYY-MM-DD). */
function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(from.slice(0, 10)); t <= Date.parse(to.slice(0, 10)); t += 86400_000)
    days.push(utcDay(t));
  return days;
}

/**
 * Daily totals (predictions, feedback by category) of the days from `from`'s to `to`'s, from
 * every write shard: the live deltas of each day bucket (exact while compactions run, as a
 * window's), plus the `ADD` items earlier versions kept per day.
 */
async function totals(model: ModelRecord, from: string, to: string): Promise<Record<string, number>> {
  const sum: Record<string, number> = {};
  const add = (counters: Record<string, unknown>) => {
    for (const [key, value] of Object.entries(counters))
      if (typeof value === 'number' && key !== 'expiresAt') sum[key] = (sum[key] ?? 0) + value;
  };
  const shards = Array.from({ length: model.writeShards ?? 1 }, (_, shard) => shard);
  const buckets = daysBetween(from, to).flatMap((day) =>
    shards.map((shard) => telemetryKeys.dayBucket(model.modelId, day, shard)),
  );
  await forEachConcurrently(buckets, 8, async (pk) => {
    const deltas = sortDeltas(await readBucket(telemetryTable, pk));
    add(bucketColumns(deltas, UNBINNED).get(TOTALS_COLUMN) ?? {});
  });
  for (const shard of shards) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await dynamoDb.send(
        new QueryCommand({
          TableName: telemetryTable,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': telemetryKeys.legacyTotalsPartition(model.modelId, shard),
            ':from': `DAY#${from.slice(0, 10)}`,
            ':to': `DAY#${to.slice(0, 10)}`,
          },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) add(item);
      start = page.LastEvaluatedKey;
    } while (start);
  }
  return sum;
}

function withEstimates(evaluations: Parameters<typeof summariseEstimates>[0]) {
  const estimatedPerformance = summariseEstimates(evaluations);
  return estimatedPerformance ? { estimatedPerformance } : {};
}

/**
 * The KPI report of SOP section 5 over [from, to): performance deviations (breaching
 * evaluations made in the period), retraining cycles and incidents by outcome (incidents opened in the
 * period), time to resolution (incidents closed in the period: each, median and mean), and user
 * feedback with its rate per 1,000 predictions (daily totals, so whole UTC days).
 */
export async function kpiReport(
  model: ModelRecord,
  from: string,
  to: string,
  options: { readonly maxEvaluations?: number; readonly maxIncidents?: number } = {},
): Promise<KpiReport> {
  const maxEvaluations = options.maxEvaluations ?? KPI_MAX_EVALUATIONS;
  const maxIncidents = options.maxIncidents ?? KPI_MAX_INCIDENTS;
  const [evaluations, incidents, daily] = await Promise.all([
    // Indexed by window end, which an evaluation asked for now puts a bucket ahead: read a day
    // past the period, then keep the evaluations made in it.
    listEvaluations(model.modelId, {
      from,
      to: new Date(Date.parse(to) + 86400_000).toISOString(),
      limit: maxEvaluations + 1,
    }),
    // The incidents opened in the period and those that ended in it: what the figures below count.
    listModelIncidentsOfPeriod(model.modelId, from, to, maxIncidents).catch((error: unknown) => {
      if (!(error instanceof ReadLimitError)) throw error;
      throw new HttpError(
        400,
        'invalid_request',
        `The period holds more than ${maxIncidents} incidents to read`,
        [
          {
            path: 'query.from',
            message: `the report reads at most ${maxIncidents} incidents opened in the period (of every model) and ${maxIncidents} of model ${model.modelId} ended in it; ask for a shorter period`,
          },
        ],
      );
    }),
    totals(model, from, to),
  ]);
  if (evaluations.length > maxEvaluations) {
    throw new HttpError(400, 'invalid_request', `The period holds more than ${maxEvaluations} evaluations`, [
      {
        path: 'query.from',
        message: `the report counts at most ${maxEvaluations} evaluations of model ${model.modelId}; ask for a shorter period`,
      },
    ]);
  }
  const breaches = evaluations.filter((e) => e.status === 'breach' && within(e.createdAt, from, to));
  const opened = incidents.filter((i) => within(i.openedAt, from, to));
  const closed = incidents.filter(
    (i): i is IncidentReportFields & { timeToResolutionSeconds: number } =>
      within(i.closedAt, from, to) && typeof i.timeToResolutionSeconds === 'number',
  );
  const seconds = closed.map((i) => i.timeToResolutionSeconds);
  const byOutcome: Record<IncidentStatus, number> = {
    open: 0,
    resolved: 0,
    false_alarm: 0,
    abandoned: 0,
    reverted: 0,
    failed: 0,
  };
  for (const incident of opened) byOutcome[incident.status]++;
  const byCategory: Record<string, number> = {};
  for (const [key, value] of Object.entries(daily))
    if (key.startsWith('feedback:')) byCategory[key.slice(9)] = value;
  const feedback = daily.feedback ?? 0;
  const predictions = daily.predictions ?? 0;
  return {
    modelId: model.modelId,
    from,
    to,
    performanceDeviations: {
      count: breaches.length,
      evaluations: breaches.map((e) => ({
        evaluationId: e.evaluationId,
        windowEnd: e.windowEnd,
        reasons: e.reasons,
      })),
    },
    retrainingCycles: {
      total: opened.reduce((n, i) => n + (i.retrainingCycles ?? 0), 0),
      byIncident: Object.fromEntries(opened.map((i) => [i.incidentId, i.retrainingCycles ?? 0])),
    },
    timeToResolution: {
      incidents: closed.map((i) => ({
        incidentId: i.incidentId,
        status: i.status,
        seconds: i.timeToResolutionSeconds,
      })),
      medianSeconds: median(seconds),
      meanSeconds: seconds.length ? seconds.reduce((a, b) => a + b, 0) / seconds.length : null,
    },
    userFeedback: {
      count: feedback,
      byCategory,
      predictions,
      perThousandPredictions: predictions > 0 ? (feedback / predictions) * 1000 : null,
    },
    incidentsByOutcome: byOutcome,
    ...withEstimates(evaluations.filter((e) => within(e.createdAt, from, to))),
    versions: versionsReport(
      evaluations.filter((e) => within(e.createdAt, from, to)),
      opened,
    ),
  };
}
