import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ColumnDrift } from '../../../functions/commons/drift/types.ts';
import type { IncidentRecord } from '../../../functions/commons/incidents/types.ts';
import type { IncidentDetail } from '../../../functions/commons/incidents/view.ts';
import type { OutboxMessage } from '../../../local/outbox.ts';
import { type Runtime, type RuntimeOptions, startRuntime } from '../../../local/runtime.ts';

export const ADMIN_KEY = 'workflow-test-admin-key';

/** Two Data Science Leads, so that one recipient's link can be tried as the other's. */
export const approvers = {
  dataScienceLead: ['dsl@example.com', 'dsl2@example.com'],
  devTeam: ['dev@example.com'],
  qa: ['qa@example.com'],
  irbLiaison: ['irb@example.com'],
  legal: ['legal@example.com'],
  mlops: ['mlops@example.com'],
  operations: ['ops@example.com'],
  support: ['support@example.com'],
};

/** An HTTP answer: its status, its body parsed as JSON when it is JSON, and its text. */
export interface Response {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the API answers
  readonly body: any;
  readonly text: string;
}

/**
 * The local runtime in this process (dynalite in a temporary data dir, the real ASL on the local
 * engine, the outbox), driven over HTTP as a person and a training pipeline would drive it.
 */
export class Harness {
  private readonly consumed = new Set<string>();
  /** The model registered last: `message` only considers emails about it. */
  private current = '';

  private constructor(
    readonly runtime: Runtime,
    private readonly dataDir: string,
  ) {}

  static async start(
    options: Pick<RuntimeOptions, 'confirmSubscriptions' | 'schedulerTickSeconds'> = {},
  ): Promise<Harness> {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'vigil-workflow-'));
    const runtime = await startRuntime({
      dataDir,
      port: 0,
      host: '127.0.0.1',
      adminKey: ADMIN_KEY,
      demo: false,
      ...options,
    });
    return new Harness(runtime, dataDir);
  }

  get url(): string {
    return this.runtime.url;
  }

  get engine() {
    return this.runtime.governance.workflow;
  }

  /** The local execution of an incident once it has ended (or now, when it is still waiting). */
  settled(incidentId: string) {
    return this.engine.settled(incidentId);
  }

  async close(): Promise<void> {
    await this.runtime.close();
    await rm(this.dataDir, { recursive: true, force: true });
  }

  async call(
    method: string,
    urlPath: string,
    options: {
      key?: string | null;
      body?: unknown;
      form?: Record<string, string>;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    const key = options.key === undefined ? ADMIN_KEY : options.key;
    if (key !== null) headers['x-api-key'] = key;
    let body: string | undefined;
    if (options.form) {
      body = new URLSearchParams(options.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const url = urlPath.startsWith('http') ? urlPath : `${this.url}${urlPath}`;
    const response = await fetch(url, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // a page
    }
    return { status: response.status, body: parsed, text };
  }

  /**
   * Registers a model with version 1.0.0 in production (accuracy 0.9) and an accuracy threshold
   * (at least 0.8, at most 5 % below production). Governance settings as given.
   */
  async registerModel(
    modelId: string,
    governance: {
      approvalTimeoutHours?: number;
      stabilisationSeconds?: number;
      maxRetrainingCycles?: number;
    } = {},
  ): Promise<void> {
    this.current = modelId;
    const model = await this.call('PUT', `/v1/models/${modelId}`, {
      body: {
        name: `Model ${modelId}`,
        owner: 'ds@example.com',
        task: 'classification',
        features: [
          { name: 'age', type: 'numerical' },
          { name: 'plan', type: 'categorical' },
        ],
        thresholds: { performance: { accuracy: { min: 0.8, maxRelativeDrop: 0.05 } } },
        approvers,
        governance: { approvalTimeoutHours: 0.05, stabilisationSeconds: 0, ...governance },
      },
    });
    if (model.status !== 201) throw new Error(`model registration: ${model.status} ${model.text}`);
    const version = await this.call('POST', `/v1/models/${modelId}/versions`, {
      body: {
        version: '1.0.0',
        artifactUri: `s3://models/${modelId}/1.0.0`,
        metrics: { accuracy: 0.9, f1: 0.85 },
      },
    });
    if (version.status !== 201) throw new Error(`version registration: ${version.status} ${version.text}`);
  }

  /**
   * Opens an incident the way production does, over HTTP alone: a baseline, then predictions
   * whose age and plan have shifted, then an evaluation, which breaches, opens the incident and
   * starts its workflow. Returns the evaluation's answer.
   */
  async breachOverHttp(modelId: string): Promise<{ incidentId: string; reasons: string[] }> {
    let seed = 7;
    const random = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const records = (n: number, shift: number, plans: string[]) =>
      Array.from({ length: n }, () => ({
        features: {
          age: Math.round(30 + shift + 20 * random()),
          plan: plans[Math.floor(random() * plans.length)],
        },
        prediction: random() < 0.3 ? 'churn' : 'stay',
      }));
    const baseline = await this.call('PUT', `/v1/models/${modelId}/baseline`, {
      body: { records: records(1500, 0, ['basic', 'plus', 'pro']), metrics: { accuracy: 0.9 } },
    });
    if (baseline.status !== 201) throw new Error(`baseline: ${baseline.status} ${baseline.text}`);
    const sent = await this.call('POST', `/v1/models/${modelId}/predictions`, {
      body: { records: records(600, 25, ['pro', 'enterprise']) },
    });
    if (sent.status !== 202) throw new Error(`predictions: ${sent.status} ${sent.text}`);
    const evaluation = await this.call('POST', `/v1/models/${modelId}/evaluations`);
    const body = evaluation.body as { status: string; incidentId?: string; reasons: string[] };
    if (evaluation.status !== 201 || body.status !== 'breach' || !body.incidentId) {
      throw new Error(`evaluation: ${evaluation.status} ${evaluation.text}`);
    }
    return { incidentId: body.incidentId, reasons: body.reasons };
  }

  /** Opens an incident as the evaluation does (through the use cases) and starts its workflow. */
  async openIncident(modelId: string, evaluationId = `eval-${modelId}`): Promise<IncidentRecord> {
    const { openIncident, ensureWorkflowStarted } = await import(
      '../../../functions/commons/incidents/open.ts'
    );
    const { incident } = await openIncident({
      modelId,
      version: '1.0.0',
      evaluationId,
      reasons: ['age drifted (psi 0.41 > 0.2)', 'accuracy 0.71 below 0.8'],
    });
    return ensureWorkflowStarted(incident);
  }

  /** Stores an evaluation through the evaluation store, as the scheduled evaluation would. */
  async putEvaluation(evaluation: {
    evaluationId: string;
    modelId: string;
    status: 'ok' | 'breach' | 'insufficient_data';
    windowStart: string;
    windowEnd: string;
    reasons: string[];
  }): Promise<void> {
    const { putEvaluation } = await import('../../../functions/commons/evaluation/store.ts');
    const column = (
      name: string,
      type: 'numerical' | 'categorical',
      method: 'psi' | 'chiSquare',
      score: number,
      threshold: number,
    ) =>
      ({
        name,
        type,
        reference: { count: 1000, missingShare: 0 },
        current: { count: 500, missingShare: 0 },
        method,
        score,
        threshold,
        drifted: method === 'psi' ? score >= threshold : score < threshold,
        stats: null,
      }) as unknown as ColumnDrift;
    await putEvaluation({
      trigger: 'schedule',
      createdAt: evaluation.windowEnd,
      baselineVersion: 1,
      baselineStale: false,
      samples: 500,
      minSamples: 100,
      drift: {
        columns: [
          column('age', 'numerical', 'psi', 0.41, 0.2),
          column('plan', 'categorical', 'chiSquare', 0.3, 0.05),
        ],
        dataset: { driftedColumns: 1, columns: 2, driftedShare: 0.5, drifted: true },
      },
      predictionDrift: null,
      missing: {},
      performance: {
        fromActuals: { samples: 200, metrics: { accuracy: 0.71 } },
        points: {},
        checks: [],
      },
      complaints: { count: 0, perThousandPredictions: 0, byCategory: {} },
      ...evaluation,
    });
  }

  outbox(): readonly OutboxMessage[] {
    return this.runtime.governance.outbox.list();
  }

  /**
   * The first message not taken yet to `to` about the model registered last whose subject
   * matches, waiting for it to arrive.
   */
  async message(to: string, subject: RegExp, timeoutMs = 20_000): Promise<OutboxMessage> {
    const about = `(${this.current})`;
    return waitFor(
      () => {
        const found = this.outbox().find(
          (m) => m.to === to && subject.test(m.subject) && m.text.includes(about) && !this.consumed.has(m.id),
        );
        if (found) this.consumed.add(found.id);
        return found;
      },
      timeoutMs,
      () =>
        `no message to ${to} matching ${subject}; outbox:\n${this.outbox()
          .map((m) => `${m.to}: ${m.subject}`)
          .join('\n')}`,
    );
  }

  /** Opens the email's link (GET) and answers the form token of the page. */
  async open(message: OutboxMessage): Promise<{ page: Response; token: string | undefined }> {
    const link = message.links[0];
    if (!link) throw new Error(`message "${message.subject}" has no link`);
    const page = await this.call('GET', link, { key: null });
    const token = /name="token" value="([^"]+)"/.exec(page.text)?.[1];
    return { page, token };
  }

  /** Follows the email's link and posts a decision with the page's form, as the recipient would. */
  async decide(
    message: OutboxMessage,
    decision: string,
    comment = '',
    extra: Record<string, string> = {},
  ): Promise<Response> {
    const { page, token } = await this.open(message);
    if (page.status !== 200 || !token)
      throw new Error(`approval page ${page.status}: ${page.text.slice(0, 500)}`);
    return this.call('POST', message.links[0] as string, {
      key: null,
      form: { token, decision, comment, ...extra },
      headers: { 'user-agent': 'vigil-test-browser/1.0' },
    });
  }

  /** Waits for the retraining request and posts a candidate as the training pipeline would. */
  async submitCandidate(
    incidentId: string,
    candidate: { version: string; accuracy: number; scopeChanged?: boolean },
    key: string = ADMIN_KEY,
  ): Promise<Response> {
    await this.message('dev@example.com', /Retrain the model/);
    return this.call('POST', `/v1/incidents/${incidentId}/candidate`, {
      key,
      body: {
        version: candidate.version,
        artifactUri: `s3://models/${candidate.version}`,
        metrics: { accuracy: candidate.accuracy, f1: 0.86 },
        scopeChanged: candidate.scopeChanged ?? false,
        notes: `Retrained on the last 30 days (${candidate.version}).`,
      },
    });
  }

  async incident(incidentId: string): Promise<IncidentDetail> {
    const response = await this.call('GET', `/v1/incidents/${incidentId}`);
    if (response.status !== 200)
      throw new Error(`incident ${incidentId}: ${response.status} ${response.text}`);
    return response.body;
  }

  /** Waits until the incident satisfies `done`. */
  async incidentWhen(
    incidentId: string,
    done: (incident: IncidentDetail) => boolean,
    timeoutMs = 20_000,
  ): Promise<IncidentDetail> {
    let last: IncidentDetail | undefined;
    return waitFor(
      async () => {
        last = await this.incident(incidentId);
        return done(last) ? last : undefined;
      },
      timeoutMs,
      () => `incident ${incidentId} is ${last?.status} at ${last?.currentStep}`,
    );
  }
}

/** Polls `probe` until it answers something, or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  describe: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
