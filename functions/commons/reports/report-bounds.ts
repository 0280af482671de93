import * as z from '#commons/zod';
import type { ColumnDrift } from '#drift/types';
import { html, type SafeHtml } from '../html/layout.ts';

/**
 * The most bytes of HTML an evaluation report's page takes when it cannot show every feature
 * (docs/architecture.md, "Report pages"): a quarter of Lambda's 6 MB response, so that a page
 * loads quickly and the answer stays far below the limit whatever the model's configuration.
 */
export const REPORT_PAGE_BYTES = 1_500_000;

/** The evaluation report's query: `feature` asks for the page of that feature alone. */
export const reportQuerySchema = z.object({
  feature: z.optional(
    z
      .string()
      .check(
        z.minLength(1),
        z.maxLength(64),
        z.describe(
          'A feature of the evaluation: its page alone (chart, statistics, data-quality checks, drift trend)',
        ),
      ),
  ),
});

/** Where the summary and the note link a feature's own page: the same report, `?feature=`. */
export const featureHref = (name: string) => `?feature=${encodeURIComponent(name)}`;

/** What a report page draws of the features. */
export interface ReportView {
  /** The features whose sections and drift trends the page draws, in this order (default: all). */
  readonly features?: readonly string[];
  /** The page of one feature: its section, its data-quality checks and its drift trend. */
  readonly feature?: string;
  /** Where a feature's own page is, linked from the summary and the note of features not drawn. */
  readonly featureHref?: (name: string) => string;
}

const P_VALUE_METHODS: ReadonlySet<ColumnDrift['method']> = new Set(['ks', 'chiSquare']);

/**
 * How far a feature's score went toward drift, as a multiple of its threshold: score over
 * threshold for a distance, threshold over p-value for a p-value (above 1: past the threshold).
 * A feature without a score comes last.
 */
export function driftSeverity(column: Pick<ColumnDrift, 'method' | 'score' | 'threshold'>): number {
  const { score, threshold } = column;
  if (score === null || !Number.isFinite(score)) return Number.NEGATIVE_INFINITY;
  if (P_VALUE_METHODS.has(column.method)) return score > 0 ? threshold / score : Number.POSITIVE_INFINITY;
  if (threshold > 0) return score / threshold;
  return score > 0 ? Number.POSITIVE_INFINITY : 0;
}

const descending = (a: number, b: number) => (a === b ? 0 : a > b ? -1 : 1);

/**
 * The features' names, the most relevant first: the drifted ones, then by severity (the most
 * past or nearest its threshold first), ties in the evaluation's order.
 */
export function byRelevance(columns: readonly ColumnDrift[]): string[] {
  return [...columns]
    .sort(
      (a, b) =>
        descending(Number(a.drifted), Number(b.drifted)) || descending(driftSeverity(a), driftSeverity(b)),
    )
    .map((column) => column.name);
}

/**
 * The report page within `budget` bytes: the whole page when it fits (every feature, in the
 * evaluation's order); else the most features that fit, the most relevant first (`byRelevance`),
 * the others listed by `render` without their charts. Found by bisection on the number of
 * features, each candidate rendered and measured in UTF-8: the page is never over the budget
 * unless the page without any feature's chart is (see the worst case in the docs).
 */
export function boundedReport(
  columns: readonly ColumnDrift[],
  render: (features?: readonly string[]) => string,
  budget = REPORT_PAGE_BYTES,
): string {
  const whole = render();
  if (Buffer.byteLength(whole) <= budget) return whole;
  const ranked = byRelevance(columns);
  let fits = render([]);
  let low = 0;
  let high = ranked.length - 1;
  while (low < high) {
    const count = Math.ceil((low + high) / 2);
    const page = render(ranked.slice(0, count));
    if (Buffer.byteLength(page) <= budget) {
      low = count;
      fits = page;
    } else {
      high = count - 1;
    }
  }
  return fits;
}

/**
 * The note of the features a page does not draw, the most relevant first: where their scores
 * and statistics are, and each one's own page when `href` says where. Nothing when every
 * feature is drawn.
 */
export function omittedNote(
  columns: readonly ColumnDrift[],
  drawn: readonly string[] | undefined,
  href: ((name: string) => string) | undefined,
): SafeHtml | undefined {
  if (!drawn) return undefined;
  const shown = new Set(drawn);
  const left = byRelevance(columns).filter((name) => !shown.has(name));
  if (left.length === 0) return undefined;
  const names = left.map((name, i) =>
    href ? html`${i ? ', ' : ''}<a href="${href(name)}">${name}</a>` : html`${i ? ', ' : ''}${name}`,
  );
  return html`<p class="omitted" data-omitted="${left.length}">${left.length} more feature${left.length === 1 ? '' : 's'} not drawn on this page (their scores and verdicts are in the summary, their statistics in the evaluation's JSON${href ? "; each one's chart, statistics and trend on its own page" : ''}): ${names}.</p>`;
}
