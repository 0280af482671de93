/**
 * A client for Vigil's ingest API, for model endpoints written in TypeScript or JavaScript
 * (Node.js 20 or later, Deno, Bun, browsers: it needs only `fetch`). It sends batches with a
 * `batchId` and retries, with exponential backoff and full jitter, what is safe to retry:
 *
 * - 429 (throttled), 5xx and network errors of a request with a `batchId`: Vigil counts a
 *   batch once, however many times it arrives, and answers a replay with the first answer;
 * - 409 `batch_in_progress`: another request with the same `batchId` is being processed.
 *
 * Feedback is sent with a `batchId` too: the caller's, or one drawn for the call and kept by
 * its retries.
 *
 * Anything else (400 with the fields at fault, 401, 403, 404, 413) is thrown at once as a
 * {@link VigilApiError}.
 *
 *     const vigil = new VigilClient({ url: 'https://api.example.com/v1', key: process.env.VIGIL_MODEL_KEY });
 *     const { accepted, replayed } = await vigil.sendPredictions('churn', { batchId: newBatchId(), records });
 */

/** A prediction as the API takes it (`POST /v1/models/{id}/predictions`). */
export interface PredictionRecord {
  predictionId?: string;
  /** ISO 8601 with a time zone, or epoch milliseconds; the server's clock when absent. */
  timestamp?: string | number;
  features: Record<string, number | string | boolean | null>;
  prediction: number | string | boolean;
  score?: number;
}

export interface ActualRecord {
  predictionId: string;
  actual: number | string | boolean;
}

export interface MetricRecord {
  name: string;
  value: number;
  timestamp?: string | number;
}

export interface Feedback {
  /** A lower-case word such as `complaint` or `query`. */
  category: string;
  message: string;
  predictionId?: string;
  /** Makes a retry count once; drawn by {@link VigilClient.sendFeedback} when absent. */
  batchId?: string;
}

/** A batch: up to 1,000 records, and the id that makes a retry count once. */
export interface Batch<R> {
  batchId: string;
  records: readonly R[];
}

/** Vigil's answer to an accepted batch (202). `replayed`: this batch id was accepted before. */
export interface IngestResult {
  accepted: number;
  replayed?: true;
}

export interface VigilClientOptions {
  /** The API's base URL (`VigilService.ApiUrl`, or `http://localhost:3000` for `npm start`). */
  url: string;
  /** The model's API key (`POST /v1/models/{id}/keys`), or the admin key. */
  key: string;
  /** Attempts per request, the first included (default 10). */
  maxAttempts?: number;
  /** The backoff's first ceiling, doubled on each retry (default 250 ms). */
  baseDelayMs?: number;
  /** The backoff's largest ceiling (default 20 s). */
  maxDelayMs?: number;
  /** Time allowed for one attempt (default 30 s). */
  timeoutMs?: number;
  /** Called before each retry, e.g. to log it. */
  onRetry?: (retry: { attempt: number; delayMs: number; reason: string }) => void;
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** A number in [0, 1) for the jitter; defaults to `Math.random`. */
  random?: () => number;
}

/** An error answer of the API, or the last failure once the retries are spent. */
export class VigilApiError extends Error {
  override name = 'VigilApiError';

  constructor(
    message: string,
    /** The HTTP status, or 0 when no answer came (network error, timeout). */
    readonly status: number,
    /** The API's error code (`invalid_request`, `batch_in_progress`, ...), when it sent one. */
    readonly code: string | undefined,
    /** The fields at fault, for a 400. */
    readonly issues: readonly { path: string; message: string }[],
    /** How many attempts were made. */
    readonly attempts: number,
  ) {
    super(message);
  }
}

/** A fresh batch id; keep it with the batch, and send the same one again on a retry of your own. */
export function newBatchId(): string {
  return crypto.randomUUID();
}

/**
 * The wait before retry number `retry` (1 for the first): "full jitter", a uniform draw below
 * min(maxDelayMs, baseDelayMs · 2^(retry−1)), and never less than a `Retry-After` the server sent.
 */
export function backoffDelayMs(
  retry: number,
  options: { baseDelayMs: number; maxDelayMs: number; random: () => number },
  retryAfterMs?: number,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (retry - 1));
  const jittered = Math.floor(options.random() * ceiling);
  return Math.max(jittered, Math.min(retryAfterMs ?? 0, options.maxDelayMs));
}

/** Whether an answer may be retried: `idempotent` when the request carries a `batchId`. */
export function isRetryable(status: number, code: string | undefined, idempotent: boolean): boolean {
  if (status === 429) return true;
  if (!idempotent) return false;
  return status === 0 || status >= 500 || (status === 409 && code === 'batch_in_progress');
}

/** `Retry-After` in milliseconds (seconds or an HTTP date), when present and valid. */
function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

interface ErrorBody {
  error?: { code?: string; message?: string; issues?: { path: string; message: string }[] };
  message?: string;
}

export class VigilClient {
  private readonly url: string;
  private readonly options: Required<Omit<VigilClientOptions, 'onRetry'>> &
    Pick<VigilClientOptions, 'onRetry'>;

  constructor(options: VigilClientOptions) {
    if (!options.url) throw new TypeError('VigilClient: url is required');
    if (!options.key) throw new TypeError('VigilClient: key is required');
    this.url = options.url.replace(/\/+$/, '');
    this.options = {
      url: this.url,
      key: options.key,
      maxAttempts: Math.max(1, options.maxAttempts ?? 10),
      baseDelayMs: options.baseDelayMs ?? 250,
      maxDelayMs: options.maxDelayMs ?? 20_000,
      timeoutMs: options.timeoutMs ?? 30_000,
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      random: options.random ?? Math.random,
      onRetry: options.onRetry,
    };
  }

  /** `POST /v1/models/{id}/predictions`. */
  sendPredictions(modelId: string, batch: Batch<PredictionRecord>): Promise<IngestResult> {
    return this.sendBatch(modelId, 'predictions', batch);
  }

  /** `POST /v1/models/{id}/actuals`: the ground truth of earlier predictions. */
  sendActuals(modelId: string, batch: Batch<ActualRecord>): Promise<IngestResult> {
    return this.sendBatch(modelId, 'actuals', batch);
  }

  /** `POST /v1/models/{id}/metrics`. */
  sendMetrics(modelId: string, batch: Batch<MetricRecord>): Promise<IngestResult> {
    return this.sendBatch(modelId, 'metrics', batch);
  }

  /**
   * `POST /v1/models/{id}/feedback`, with the feedback's `batchId` or a new one, so that a retry
   * after a 5xx or a lost answer counts it once.
   */
  sendFeedback(
    modelId: string,
    feedback: Feedback,
  ): Promise<{ accepted: 1; feedbackId: string; replayed?: true }> {
    const body = { ...feedback, batchId: feedback.batchId || newBatchId() };
    return this.post(`/v1/models/${encodeURIComponent(modelId)}/feedback`, body);
  }

  private sendBatch<R>(modelId: string, kind: string, batch: Batch<R>): Promise<IngestResult> {
    if (typeof batch.batchId !== 'string' || batch.batchId === '') {
      throw new TypeError(`VigilClient: a ${kind} batch needs a batchId, so that a retry counts once`);
    }
    return this.post(`/v1/models/${encodeURIComponent(modelId)}/${kind}`, batch);
  }

  /** Posts a body that carries a `batchId`, so that every retryable answer may be retried. */
  private async post<T>(path: string, body: unknown): Promise<T> {
    const { maxAttempts, timeoutMs } = this.options;
    const payload = JSON.stringify(body);
    for (let attempt = 1; ; attempt++) {
      let status = 0;
      let code: string | undefined;
      let message: string;
      let issues: { path: string; message: string }[] = [];
      let retryAfter: number | undefined;
      try {
        const response = await this.options.fetch(`${this.url}${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            'x-api-key': this.options.key,
          },
          body: payload,
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await response.text();
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        if (response.ok) return parsed as T;
        status = response.status;
        const error = (parsed as ErrorBody | undefined)?.error;
        code = error?.code;
        issues = error?.issues ?? [];
        message = `${status} ${error?.message ?? (parsed as ErrorBody | undefined)?.message ?? response.statusText}`;
        retryAfter = retryAfterMs(response.headers.get('retry-after'));
      } catch (error) {
        const cause =
          error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : '';
        message = `no answer from ${this.url}: ${cause || String(error)}`;
      }
      if (attempt >= maxAttempts || !isRetryable(status, code, true)) {
        const spent = attempt > 1 ? ` (after ${attempt} attempts)` : '';
        const fields = issues.map((issue) => `; ${issue.path}: ${issue.message}`).join('');
        throw new VigilApiError(`${message}${fields}${spent}`, status, code, issues, attempt);
      }
      const delayMs = backoffDelayMs(attempt, this.options, retryAfter);
      this.options.onRetry?.({ attempt, delayMs, reason: message });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
