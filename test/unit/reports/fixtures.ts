import type { ColumnDrift } from '../../../functions/commons/drift/types.ts';
import type { EvaluationRecord } from '../../../functions/commons/evaluation/store.ts';

/** A feature's drift in an evaluation: the score, the method and its threshold. */
export function column(
  name: string,
  method: ColumnDrift['method'],
  score: number,
  threshold: number,
  drifted: boolean,
): ColumnDrift {
  const side = { count: 100, missing: 0, missingShare: 0 };
  return {
    name,
    type: method === 'chiSquare' ? 'categorical' : 'numerical',
    method,
    threshold,
    score,
    drifted,
    reference: side,
    current: side,
    stats: null,
  } as unknown as ColumnDrift;
}

/** An evaluation of an hour ending at `windowEnd`, with what the test sets. */
export function evaluation(
  windowEnd: string,
  options: {
    columns?: ColumnDrift[];
    accuracy?: number | null;
    checks?: EvaluationRecord['performance']['checks'];
    samples?: number;
    classes?: Record<
      string,
      { precision: number | null; recall: number | null; f1: number | null; support: number }
    >;
    points?: EvaluationRecord['performance']['points'];
  } = {},
): EvaluationRecord {
  const columns = options.columns ?? [];
  const driftedColumns = columns.filter((c) => c.drifted).length;
  return {
    evaluationId: `eval-${windowEnd}`,
    modelId: 'churn',
    trigger: 'schedule',
    windowStart: new Date(Date.parse(windowEnd) - 3_600_000).toISOString(),
    windowEnd,
    createdAt: windowEnd,
    status: 'ok',
    reasons: [],
    baselineVersion: 1,
    baselineStale: false,
    samples: options.samples ?? 500,
    minSamples: 100,
    drift: {
      columns,
      dataset: {
        columns: columns.length,
        driftedColumns,
        driftedShare: columns.length ? driftedColumns / columns.length : 0,
        drifted: driftedColumns > 0,
      },
    } as EvaluationRecord['drift'],
    predictionDrift: null,
    missing: {},
    performance: {
      fromActuals: {
        samples: options.samples ?? 500,
        metrics: { accuracy: options.accuracy ?? null },
        ...(options.classes ? { classes: options.classes } : {}),
      },
      points: options.points ?? {},
      checks: options.checks ?? [],
    },
    complaints: { count: 0, perThousandPredictions: 0, byCategory: {} },
  };
}
