/** How evaluations write figures and names into their reasons and lists. */

/** Characters of a reason that a list of evaluations (summaries, the KPI report) shows; the evaluation keeps it whole. */
export const SUMMARY_REASON_CHARS = 300;

/** A figure to three significant digits, without trailing zeros. */
export const fmt = (x: number) => Number(x.toPrecision(3)).toString();

/** A name cut to `length` code points, marked with an ellipsis when cut. */
export function cut(name: string, length: number): string {
  const points = Array.from(name);
  return points.length <= length ? name : `${points.slice(0, length - 1).join('')}…`;
}
