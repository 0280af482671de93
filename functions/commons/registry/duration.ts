/**
 * ISO-8601 durations of schedules and windows, apart from the registry's field schemas
 * (`fields.ts`, which re-exports it): what only reads a model's schedule loads no validation.
 */

/** Seconds in an ISO-8601 duration (years as 365 days and months as 30, as schedules need no calendar). */
export function durationSeconds(duration: string): number {
  const match =
    /^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(
      duration,
    );
  if (!match) throw new Error(`Not an ISO-8601 duration: ${duration}`);
  const [, y, mo, w, d, h, mi, s] = match.map((part) => Number(part ?? 0));
  return (
    (y ?? 0) * 365 * 86400 +
    (mo ?? 0) * 30 * 86400 +
    (w ?? 0) * 7 * 86400 +
    (d ?? 0) * 86400 +
    (h ?? 0) * 3600 +
    (mi ?? 0) * 60 +
    (s ?? 0)
  );
}
