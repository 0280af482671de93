import { durationSeconds } from '../registry/fields.ts';
import type { IngestModel } from '../registry/ingest-model.ts';

/** Slack past the oldest window a model's evaluations read, for late or repeated evaluations. */
const RETENTION_SLACK_SECONDS = 30 * 86400;

/**
 * How long a model's window profiles are kept: `base` (the default TTL), or longer when the
 * model's seasonal reference reads further back: its lag plus its window (or the span the window
 * may grow to), plus 30 days. Items written before a longer lag was set keep their TTL.
 */
export function profileTtlSeconds(model: Pick<IngestModel, 'reference' | 'schedule'>, base: number): number {
  if (!model.reference) return base;
  const window = Math.max(
    durationSeconds(model.schedule.window),
    model.schedule.extendUntilMinSamples ? durationSeconds(model.schedule.extendUntilMinSamples) : 0,
  );
  return Math.max(base, durationSeconds(model.reference.lag) + window + RETENTION_SLACK_SECONDS);
}
