import { setTimeout as sleep } from 'node:timers/promises';
import { demoFeatures, drawRecords, type Population, rng } from './demo/data.ts';

/** The demo model's id. */
export const DEMO_MODEL = 'demo-churn';

/** What the demo needs from the runtime, and how fast it runs. */
export interface DemoOptions {
  /** The runtime's base URL: the demo uses its public HTTP API like any client. */
  readonly url: string;
  readonly adminKey: string;
  /** Seconds of healthy traffic before two features and the accuracy shift (30). */
  readonly shiftSeconds?: number;
  /** Milliseconds between two batches of predictions (2000). */
  readonly intervalMs?: number;
  /** Predictions per batch (20). */
  readonly batchSize?: number;
  /** The demo model's `governance.stabilisationSeconds` when it is registered (20). */
  readonly stabilisationSeconds?: number;
  /** How long the demo streams at most, in minutes (30): the data dir does not grow forever. */
  readonly maxMinutes?: number;
  readonly print?: (line: string) => void;
  /**
   * Emails sent from this time on (ISO 8601) are the ones the demo points at: the runtime's start,
   * so that the links a resumed step sends again after a restart count. Default: the demo's start.
   */
  readonly since?: string;
}

/** A running demo. */
export interface Demo {
  /** Stops streaming and waits for the request in flight. */
  stop(): Promise<void>;
  /** Resolves when the demo stops by itself (incident closed, time up) or is stopped. */
  readonly done: Promise<void>;
}

type DemoSettings = Required<
  Pick<DemoOptions, 'shiftSeconds' | 'intervalMs' | 'batchSize' | 'stabilisationSeconds' | 'maxMinutes'>
>;

/**
 * The demo's pace with `npm start`'s defaults. The first approval link comes within 3 minutes:
 * the scheduler ticks every 30 s, so the first scheduled evaluation E1 runs at most 30 s after the
 * baseline, then one every minute (`schedule.every`), each over the last complete minute bucket.
 * The bucket E1+120 s evaluates starts after E1, so the shift at 30 s covers at least half of it
 * (accuracy 0.75 < 0.8, two of four features drifted): the breach comes at most 150 s after
 * streaming starts, and its approval email within a second of it.
 */
export const demoDefaults: DemoSettings = {
  shiftSeconds: 30,
  intervalMs: 2000,
  batchSize: 20,
  stabilisationSeconds: 20,
  maxMinutes: 30,
};

const approvers = {
  dataScienceLead: ['dsl@example.com'],
  devTeam: ['dev@example.com'],
  qa: ['qa@example.com'],
  irbLiaison: ['irb@example.com'],
  legal: ['legal@example.com'],
  mlops: ['mlops@example.com'],
  operations: ['ops@example.com'],
  support: ['support@example.com'],
};

/** Accuracy of the traffic: production 1.0.0 on shifted data loses it; a retrained version has it back. */
const HEALTHY_ACCURACY = 0.9;
const DEGRADED_ACCURACY = 0.6;
const BASELINE_RECORDS = 3000;

interface ModelView {
  readonly productionVersion?: string;
  readonly baselineVersion?: number;
  readonly versions?: readonly { readonly version: string }[];
}

interface IncidentItem {
  readonly incidentId: string;
  readonly status: string;
}

interface OutboxItem {
  readonly id: string;
  readonly to: string;
  readonly subject: string;
  readonly links: readonly string[];
  readonly sentAt: string;
  /** False for an email SNS would not deliver (VIGIL_CONFIRM_SUBSCRIPTIONS=manual, not confirmed yet). */
  readonly delivered?: boolean;
}

class DemoHttpError extends Error {}

/**
 * The demo behind `npm start`: seeds the model `demo-churn` over the runtime's own HTTP API (the
 * admin key), then streams predictions with their actuals until the scheduled evaluation finds
 * the shift it makes after `shiftSeconds`, and points the newcomer at the first approval link.
 *
 * Idempotent across restarts: what the data dir already has (the model, version 1.0.0, the
 * baseline) is kept, never registered or fitted again. With an open incident the traffic resumes
 * shifted at once; with the demo's incident closed it streams nothing. After a retrained version
 * is promoted, the traffic is accurate again and the demo fits a baseline on the shifted
 * population once (as a training pipeline delivers its reference data), so the new version's
 * evaluations are healthy. Streaming stops when the incident closes or after `maxMinutes`.
 */
export function startDemo(options: DemoOptions): Demo {
  const settings: DemoSettings = { ...demoDefaults, ...definedOnly(options) };
  const print = options.print ?? ((line: string) => console.log(line));
  const abort = new AbortController();
  const done = run(options, settings, print, abort.signal).catch((error: unknown) => {
    if (abort.signal.aborted) return;
    print(`vigil demo: stopped: ${error instanceof Error ? error.message : String(error)}`);
  });
  return {
    done,
    stop: async () => {
      abort.abort();
      await done;
    },
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

async function run(
  options: DemoOptions,
  settings: DemoSettings,
  print: (line: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const call = async <T>(method: string, path: string, body?: unknown, expected = [200]): Promise<T> => {
    const response = await fetch(`${options.url}${path}`, {
      method,
      headers: {
        'x-api-key': options.adminKey,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
    const text = await response.text();
    if (!expected.includes(response.status))
      throw new DemoHttpError(`${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };

  // Only emails sent since this start (or `since`) are pointed at.
  const since = options.since ?? new Date().toISOString();
  const seen = new Set<string>();
  const model = await seed(call, settings.stabilisationSeconds, print);

  const incidents = async () =>
    (await call<{ incidents: IncidentItem[] }>('GET', `/v1/incidents?modelId=${DEMO_MODEL}`)).incidents;
  const first = await incidents();
  if (first.length > 0 && !first.some((i) => i.status === 'open')) {
    print(
      `Demo: the incident of ${DEMO_MODEL} is ${first[0]?.status}; nothing more to stream (delete the data dir to run the demo again).`,
    );
    return;
  }

  const started = Date.now();
  // With an incident already open (a restart), the shift has happened.
  const shiftAt = first.length > 0 ? started : started + settings.shiftSeconds * 1000;
  const stopAt = started + settings.maxMinutes * 60_000;
  const random = rng(started);
  const runId = started.toString(36);
  let production = model.productionVersion;
  let versions = model.versions ?? [];
  let shiftAnnounced = false;
  let linkShown = false;
  const retrainingShown = new Set<string>();
  print(
    first.length > 0
      ? `Demo: ${DEMO_MODEL} has an open incident; streaming its shifted traffic again.`
      : `Demo: streaming predictions of ${DEMO_MODEL} every ${settings.intervalMs / 1000} s; two features and the accuracy shift in ${settings.shiftSeconds} s, and a scheduled evaluation will catch it.`,
  );

  for (let batch = 0; Date.now() < stopAt && !signal.aborted; batch++) {
    const shifted = Date.now() >= shiftAt;
    if (shifted && !shiftAnnounced && first.length === 0) {
      print(
        `Demo: the traffic of ${DEMO_MODEL} shifted (month-to-month customers: monthly_charges and support_calls up, accuracy about ${DEGRADED_ACCURACY}); waiting for the scheduled evaluation.`,
      );
    }
    shiftAnnounced ||= shifted;
    // A failed round (the runtime busy or stopping) is reported, and the next one tries again.
    try {
      const population: Population = shifted ? 'shifted' : 'normal';
      const retrained = production !== undefined && production !== '1.0.0';
      const accuracy = shifted && !retrained ? DEGRADED_ACCURACY : HEALTHY_ACCURACY;
      await stream(call, drawRecords(random, settings.batchSize, population, accuracy), `${runId}-${batch}`);

      // What happened since: the model's production version, the incident, the outbox.
      const current = await call<ModelView>('GET', `/v1/models/${DEMO_MODEL}`);
      production = current.productionVersion;
      versions = current.versions ?? [];
      if (production !== undefined && production !== '1.0.0' && current.baselineVersion === 1) {
        await call('PUT', `/v1/models/${DEMO_MODEL}/baseline`, baselineBody('shifted', 2), [201]);
        print(
          `Demo: ${production} is in production; fitted a baseline on the shifted population, as its training pipeline would.`,
        );
      }
      for (const message of await call<OutboxItem[]>('GET', '/_local/outbox')) {
        if (seen.has(message.id) || message.sentAt < since) continue;
        seen.add(message.id);
        const approval = message.links.find((link) => link.includes('/approvals/'));
        // An undelivered email's link is not the person's to follow: the one sent at confirmation is.
        if (approval && !linkShown && message.delivered !== false) {
          linkShown = true;
          print(
            [
              '',
              `Demo: ${message.subject}`,
              `  Open this link to decide: ${approval}`,
              `  (the email to ${message.to}). Every next email, with its link, is on the dashboard: ${options.url}/#outbox`,
              '',
            ].join('\n'),
          );
        }
        const incidentId = /\((inc_[0-9a-f]+)\)/.exec(message.subject)?.[1];
        if (incidentId && /Retrain the model/.test(message.subject) && !retrainingShown.has(incidentId)) {
          retrainingShown.add(incidentId);
          print(candidateHint(options, incidentId, nextVersion(versions)));
        }
      }
      const now = await incidents();
      if (!now.some((i) => i.status === 'open') && now.length > 0) {
        print(`Demo: the incident ${now[0]?.incidentId} is ${now[0]?.status}; the demo stops streaming.`);
        return;
      }
    } catch (error) {
      if (signal.aborted) break;
      print(`vigil demo: ${error instanceof Error ? error.message : String(error)}`);
    }
    await sleep(settings.intervalMs, undefined, { signal }).catch(() => undefined);
  }
  if (!signal.aborted) print(`Demo: ${settings.maxMinutes} minutes are up; the demo stops streaming.`);
}

/**
 * Registers what the data dir lacks: the model, version 1.0.0 in production, the baseline.
 * Each is checked on its own, so a start interrupted half-way completes on the next.
 */
async function seed(
  call: <T>(method: string, path: string, body?: unknown, expected?: number[]) => Promise<T>,
  stabilisationSeconds: number,
  print: (line: string) => void,
): Promise<ModelView> {
  let model = await call<ModelView | { error: unknown }>(
    'GET',
    `/v1/models/${DEMO_MODEL}`,
    undefined,
    [200, 404],
  );
  if ('error' in model) {
    await call(
      'PUT',
      `/v1/models/${DEMO_MODEL}`,
      {
        name: 'Customer churn (demo)',
        owner: 'dsl@example.com',
        task: 'classification',
        features: demoFeatures,
        segments: ['contract'],
        schedule: { every: 'PT1M', window: 'PT1M', minSamples: 50 },
        thresholds: { performance: { accuracy: { min: 0.8 } } },
        approvers,
        governance: { approvalTimeoutHours: 1, stabilisationSeconds, maxRetrainingCycles: 3 },
        groundTruth: { lookbackDays: 1 },
      },
      [200, 201],
    );
    model = {};
    print(`Demo: registered the model ${DEMO_MODEL}.`);
  } else {
    print(`Demo: ${DEMO_MODEL} is already in the data dir; nothing registered or fitted again.`);
  }
  if (model.productionVersion === undefined) {
    await call(
      'POST',
      `/v1/models/${DEMO_MODEL}/versions`,
      {
        version: '1.0.0',
        artifactUri: `s3://models/${DEMO_MODEL}/1.0.0`,
        metrics: { accuracy: 0.9, f1: 0.84 },
        notes: 'The first version, trained on last quarter.',
      },
      [201],
    );
  }
  if (model.baselineVersion === undefined) {
    await call('PUT', `/v1/models/${DEMO_MODEL}/baseline`, baselineBody('normal', 1), [201]);
    print(`Demo: fitted the baseline of ${DEMO_MODEL} on ${BASELINE_RECORDS} records.`);
  }
  return call<ModelView>('GET', `/v1/models/${DEMO_MODEL}`);
}

function baselineBody(population: Population, seed: number) {
  return {
    records: drawRecords(rng(seed), BASELINE_RECORDS, population, HEALTHY_ACCURACY).map((r) => ({
      features: r.features,
      prediction: r.prediction,
    })),
    metrics: { accuracy: HEALTHY_ACCURACY },
  };
}

/** Sends a batch of predictions, then their actuals (ground truth that arrived meanwhile). */
async function stream(
  call: <T>(method: string, path: string, body?: unknown, expected?: number[]) => Promise<T>,
  records: ReturnType<typeof drawRecords>,
  batchId: string,
): Promise<void> {
  const ids = records.map((_, i) => `d-${batchId}-${i}`);
  await call(
    'POST',
    `/v1/models/${DEMO_MODEL}/predictions`,
    {
      batchId: `p-${batchId}`,
      records: records.map((r, i) => ({
        predictionId: ids[i],
        features: r.features,
        prediction: r.prediction,
      })),
    },
    [202],
  );
  await call(
    'POST',
    `/v1/models/${DEMO_MODEL}/actuals`,
    { batchId: `a-${batchId}`, records: records.map((r, i) => ({ predictionId: ids[i], actual: r.actual })) },
    [202],
  );
}

/** The next minor version after every registered one: new to the registry and above production. */
function nextVersion(versions: readonly { readonly version: string }[]): string {
  const minors = versions.map((v) => /^1\.(\d+)\./.exec(v.version)?.[1]).map(Number);
  return `1.${Math.max(0, ...minors.filter(Number.isFinite)) + 1}.0`;
}

/** Where to submit the retrained candidate: the dashboard's form, or the API as a pipeline would. */
function candidateHint(options: DemoOptions, incidentId: string, next: string): string {
  const body = JSON.stringify({
    version: next,
    artifactUri: `s3://models/${DEMO_MODEL}/${next}`,
    metrics: { accuracy: 0.91, f1: 0.86 },
    scopeChanged: false,
    notes: 'Retrained on the last hour of traffic.',
  });
  return [
    '',
    `Demo: retraining requested. Submit the candidate on ${options.url}/dashboard/incidents/${incidentId}, or as a training pipeline would:`,
    `  curl -s -X POST ${options.url}/v1/incidents/${incidentId}/candidate -H 'x-api-key: ${options.adminKey}' -H 'content-type: application/json' -d '${body}'`,
    '',
  ].join('\n');
}
