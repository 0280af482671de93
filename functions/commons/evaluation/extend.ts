import { forEachConcurrently } from '#commons/concurrency';
import type { WindowCounters } from '#drift/profile';
import { durationSeconds } from '../registry/duration.ts';
import type { ModelRecord } from '../registry/store.ts';
import { readWindow, type WindowData } from './window.ts';

/**
 * Windows that grow back until they hold `minSamples` predictions (`schedule.extendUntilMinSamples`),
 * for models used now and then: rather than an `insufficient_data` verdict on a quiet window, the
 * evaluation judges the latest buckets that together hold enough predictions, as far back as the
 * model allows.
 */

/** The window an evaluation used, as it records it when the model may extend its window. */
export interface UsedWindow {
  readonly start: string;
  readonly end: string;
  /** Whether the window grew back past the requested start. */
  readonly extended: boolean;
  /** The window the schedule asked for. */
  readonly requested: { readonly start: string; readonly end: string };
  /** The earliest start the window could grow back to (the span, or the last change of production). */
  readonly limit: string;
}

/** Buckets read at once while growing: the first chunk, and the most (chunks double in between). */
const FIRST_CHUNK = 4;
const LARGEST_CHUNK = 64;

/**
 * Reads the model's window [start, end); when the model sets `schedule.extendUntilMinSamples` and
 * the window holds fewer than `minSamples` predictions (`samplesOf`), grows it back one bucket at
 * a time, up to that span before `end` and never before `notBefore` (the first bucket after the
 * last change of production), and stops at the first bucket that brings it to `minSamples`. The
 * earlier buckets are read in chunks of 4, 8, 16... up to 64 buckets (one Query per bucket and
 * write shard, a few at a time), so a window that needs one more bucket reads a few, a window that
 * needs a week of them reads it in few round trips, and at most one chunk's remainder is read
 * and not used.
 */
export async function readExtendedWindow(
  model: ModelRecord,
  baselineVersion: number,
  requested: { start: Date; end: Date; resolution: number; notBefore: Date },
  samplesOf: (window: WindowData) => number,
): Promise<{ window: WindowData; start: Date; used?: UsedWindow }> {
  const { end, resolution } = requested;
  const window = await readWindow(model, baselineVersion, requested.start, end, resolution, {
    compact: true,
  });
  const span = model.schedule.extendUntilMinSamples;
  if (span === undefined) return { window, start: requested.start };

  const furthest = end.getTime() - Math.ceil(durationSeconds(span) / resolution) * resolution * 1000;
  const limit = new Date(
    Math.max(Math.min(furthest, requested.start.getTime()), requested.notBefore.getTime()),
  );
  const merged = new WindowSum(window);
  let start = requested.start.getTime();
  let samples = samplesOf(window);
  let chunk = FIRST_CHUNK;
  while (samples < model.schedule.minSamples && start > limit.getTime()) {
    const buckets: number[] = [];
    for (
      let t = start - resolution * 1000;
      t >= limit.getTime() && buckets.length < chunk;
      t -= resolution * 1000
    )
      buckets.push(t);
    const reads = new Map<number, WindowData>();
    await forEachConcurrently(buckets, 4, async (t) => {
      reads.set(
        t,
        await readWindow(model, baselineVersion, new Date(t), new Date(t + resolution * 1000), resolution, {
          compact: true,
        }),
      );
    });
    // Newest first: the window takes whole buckets until it holds enough.
    for (const t of buckets) {
      const bucket = reads.get(t) as WindowData;
      merged.add(bucket);
      samples += samplesOf(bucket);
      start = t;
      if (samples >= model.schedule.minSamples) break;
    }
    chunk = Math.min(chunk * 2, LARGEST_CHUNK);
  }
  const used: UsedWindow = {
    start: new Date(start).toISOString(),
    end: end.toISOString(),
    extended: start < requested.start.getTime(),
    requested: { start: requested.start.toISOString(), end: end.toISOString() },
    limit: limit.toISOString(),
  };
  return { window: merged.data(new Date(start), end), start: new Date(start), used };
}

/** Window data summed bucket by bucket, in place (a long extension adds many buckets). */
class WindowSum {
  private readonly columns = new Map<string, WindowCounters>();
  private readonly metrics = new Map<string, WindowCounters>();
  private readonly performance: WindowCounters = {};
  private readonly feedback: WindowCounters = {};

  constructor(first: WindowData) {
    this.add(first);
  }

  add(window: WindowData): void {
    for (const [name, counters] of window.columns) addInto(this.columns, name, counters);
    for (const [name, counters] of window.metrics) addInto(this.metrics, name, counters);
    addCounters(this.performance, window.performance);
    addCounters(this.feedback, window.feedback);
  }

  data(windowStart: Date, windowEnd: Date): WindowData {
    return {
      windowStart,
      windowEnd,
      columns: this.columns,
      metrics: this.metrics,
      performance: this.performance,
      feedback: this.feedback,
    };
  }
}

function addInto(map: Map<string, WindowCounters>, name: string, counters: WindowCounters): void {
  let into = map.get(name);
  if (!into) {
    into = {};
    map.set(name, into);
  }
  addCounters(into, counters);
}

function addCounters(into: WindowCounters, counters: WindowCounters): void {
  for (const [key, value] of Object.entries(counters)) into[key] = (into[key] ?? 0) + value;
}
