import type { CategoricalStats } from './categorical.ts';
import type { NumericalStats } from './numerical.ts';
import type {
  ColumnDrift,
  ColumnType,
  DatasetDrift,
  DriftMethod,
  MethodChoice,
  SideSummary,
} from './types.ts';

/** A bad option or input, with where it was found (the CLI turns it into a one-line message). */
export class DriftInputError extends Error {
  constructor(
    message: string,
    readonly where: { side?: 'reference' | 'current'; row?: number; column?: string } = {},
  ) {
    super(message);
    this.name = 'DriftInputError';
  }
}

export const DRIFT_METHODS: readonly DriftMethod[] = [
  'ks',
  'wasserstein',
  'wassersteinNormed',
  'psi',
  'kl',
  'jensenShannon',
  'hellinger',
  'chiSquare',
];

/** Methods whose score is a p-value: drift when score < threshold. The others are distances. */
const P_VALUE_METHODS: ReadonlySet<DriftMethod> = new Set(['ks', 'chiSquare']);

const METHODS_BY_TYPE: Record<ColumnType, ReadonlySet<DriftMethod>> = {
  numerical: new Set(['ks', 'wasserstein', 'wassersteinNormed', 'psi', 'kl', 'jensenShannon', 'hellinger']),
  categorical: new Set(['chiSquare', 'psi', 'kl', 'jensenShannon', 'hellinger']),
};

/** Thresholds of methods chosen without one. `wasserstein` is in the column's units: it has none. */
const DEFAULT_THRESHOLDS: Partial<Record<DriftMethod, number>> = {
  ks: 0.05,
  chiSquare: 0.05,
  wassersteinNormed: 0.1,
  psi: 0.1,
  kl: 0.1,
  jensenShannon: 0.1,
  hellinger: 0.1,
};

/** Up to this many reference values, the default method is a test (`ks`, `chiSquare`). */
export const SMALL_REFERENCE = 1000;

/** The default dataset drift share. */
export const DEFAULT_DRIFT_SHARE = 0.5;

/** The default method and threshold of a column (docs/drift.md, "Default method and verdict"). */
export function defaultMethod(type: ColumnType, referenceCount: number): Required<MethodChoice> {
  const small = referenceCount <= SMALL_REFERENCE;
  if (type === 'numerical')
    return small ? { method: 'ks', threshold: 0.05 } : { method: 'wassersteinNormed', threshold: 0.1 };
  return small ? { method: 'chiSquare', threshold: 0.05 } : { method: 'jensenShannon', threshold: 0.1 };
}

/** The method and threshold to apply: the user's choice (checked) or the default. */
export function resolveMethod(
  column: string,
  type: ColumnType,
  referenceCount: number,
  choice?: MethodChoice,
): Required<MethodChoice> {
  if (!choice) return defaultMethod(type, referenceCount);
  const { method, threshold } = choice;
  if (!DRIFT_METHODS.includes(method)) {
    throw new DriftInputError(`unknown method "${method}" for column "${column}"`, { column });
  }
  if (!METHODS_BY_TYPE[type].has(method)) {
    throw new DriftInputError(`method ${method} does not apply to ${type} column "${column}"`, { column });
  }
  const resolved = threshold ?? DEFAULT_THRESHOLDS[method];
  if (resolved === undefined) {
    throw new DriftInputError(
      `method ${method} for column "${column}" needs a threshold (it is in the column's units)`,
      {
        column,
      },
    );
  }
  if (!Number.isFinite(resolved) || resolved < 0) {
    throw new DriftInputError(`threshold for column "${column}" must be a non-negative number`, { column });
  }
  return { method, threshold: resolved };
}

/** A p-value method's verdict is score < threshold; a distance method's is score ≥ threshold. */
export function isDrifted(method: DriftMethod, score: number, threshold: number): boolean {
  return P_VALUE_METHODS.has(method) ? score < threshold : score >= threshold;
}

/** The score of a method: the value the verdict compares with the threshold. */
export function scoreOf(method: DriftMethod, stats: NumericalStats | CategoricalStats): number {
  switch (method) {
    case 'ks':
      return (stats as NumericalStats).ks.pValue;
    case 'chiSquare':
      return (stats as CategoricalStats).chiSquare.pValue;
    case 'wasserstein':
      return (stats as NumericalStats).wasserstein;
    case 'wassersteinNormed':
      return (stats as NumericalStats).wassersteinNormed;
    default:
      return stats[method];
  }
}

/** Missing / rows, 0 for a side without rows. */
export function sideSummary(count: number, missing: number): SideSummary {
  const rows = count + missing;
  return { count, missingShare: rows === 0 ? 0 : missing / rows };
}

/** Assembles one column's result, with the verdict; `stats` null means a side had no values. */
export function columnResult(
  name: string,
  type: ColumnType,
  reference: SideSummary,
  current: SideSummary,
  choice: Required<MethodChoice>,
  stats: NumericalStats | CategoricalStats | null,
): ColumnDrift {
  const { method, threshold } = choice;
  if (stats === null) {
    const empty = reference.count === 0 ? 'reference' : 'current';
    return {
      name,
      type,
      reference,
      current,
      method,
      score: null,
      threshold,
      drifted: false,
      stats: null,
      reason: `no non-missing values in the ${empty}`,
    } as ColumnDrift;
  }
  const score = scoreOf(method, stats);
  return {
    name,
    type,
    reference,
    current,
    method,
    score,
    threshold,
    drifted: isDrifted(method, score, threshold),
    stats,
  } as ColumnDrift;
}

/** Dataset drift: the share of drifted columns ≥ driftShare (0 columns never drift). */
export function datasetDrift(
  columns: readonly ColumnDrift[],
  driftShare = DEFAULT_DRIFT_SHARE,
): DatasetDrift {
  if (!(Number.isFinite(driftShare) && driftShare >= 0 && driftShare <= 1)) {
    throw new DriftInputError('drift share must be a number between 0 and 1');
  }
  const driftedColumns = columns.filter((c) => c.drifted).length;
  const driftedShare = columns.length === 0 ? 0 : driftedColumns / columns.length;
  return {
    driftedColumns,
    columns: columns.length,
    driftedShare,
    drifted: columns.length > 0 && driftedShare >= driftShare,
  };
}
