import { cut, SUMMARY_REASON_CHARS } from '../evaluation/format.ts';

/** Characters of a reason the KPI report lists: as evaluation summaries list them. */
export const KPI_REASON_CHARS = SUMMARY_REASON_CHARS;

/**
 * The most bytes of JSON the KPI report answers (docs/architecture.md, "Report pages"), below
 * Lambda's 6 MB response with room for the rest of the answer.
 */
export const KPI_REPORT_BYTES = 4_000_000;

/** What the bound reads of a KPI report: its listed performance deviations. */
interface WithDeviations {
  readonly performanceDeviations: {
    readonly count: number;
    readonly evaluations: readonly { readonly reasons: readonly string[] }[];
  };
}

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/**
 * The KPI report within {@link KPI_REPORT_BYTES}: each deviation's reasons cut to 300 characters
 * (as evaluation summaries list them; `GET /v1/evaluations/{id}` has them whole), and the
 * deviations listed in order while the answer fits. The count stays exact; `listed` says how many
 * are listed when fewer than `count` are.
 */
export function boundedKpiReport<R extends WithDeviations>(report: R, budget = KPI_REPORT_BYTES): R {
  const all = report.performanceDeviations.evaluations;
  const withListed = (listed: readonly unknown[]) => ({
    ...report,
    performanceDeviations: {
      ...report.performanceDeviations,
      evaluations: listed,
      ...(listed.length < report.performanceDeviations.count ? { listed: listed.length } : {}),
    },
  });
  // The answer without any deviation, with room for a `listed` count of any length it may have.
  let total = bytes(withListed([])) + String(all.length).length;
  const listed: (typeof all)[number][] = [];
  for (const evaluation of all) {
    const shown = { ...evaluation, reasons: evaluation.reasons.map(shortReason) };
    const size = bytes(shown) + 1;
    if (total + size > budget) break;
    total += size;
    listed.push(shown);
  }
  return withListed(listed) as R;
}

/** A reason cut to {@link KPI_REASON_CHARS} code points (read from at most twice as many code units). */
function shortReason(reason: string): string {
  return reason.length <= KPI_REASON_CHARS
    ? reason
    : cut(reason.slice(0, 2 * KPI_REASON_CHARS), KPI_REASON_CHARS);
}
