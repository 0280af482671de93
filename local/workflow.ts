import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Context } from 'aws-lambda';
import { StateMachine } from 'aws-local-stepfunctions';
import {
  TaskNotWaitingError,
  type WorkflowEngine,
  type WorkflowMachine,
} from '../functions/commons/workflow/port.ts';
import { lambdaContext } from './api-gateway.ts';

// aws-local-stepfunctions 3 declares Node.js 22 and calls Promise.withResolvers, which Node.js 20 lacks.
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

/** A Lambda handler as the local runtime loads it. */
export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** What `$$.Task.Token` resolves to locally; each waiting task swaps it for a fresh token. */
const TOKEN_PLACEHOLDER = 'vigil-local-task-token';
/** The longest timer Node.js keeps (about 24.8 days); longer local waits end there. */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const LAMBDA_WAIT = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
const PUT_EVENTS = 'arn:aws:states:::events:putEvents';

export interface LocalWorkflowOptions {
  /** The ASL definition text, with its `${Placeholder}`s. */
  readonly definition: string;
  /** Function placeholders of the definition and the function each stands for. */
  readonly functions: Record<string, string>;
  /** The other placeholders' values. */
  readonly values?: Record<string, string>;
  /** The local handler of a function. */
  readonly resolve: (functionName: string) => Promise<LambdaHandler>;
  /** Where executions are kept, so a restart can resume them; in memory only when absent. */
  readonly dir?: string;
  readonly print?: (line: string) => void;
  /** The state machine's name in execution ARNs (`vigil-governance` when absent). */
  readonly stateMachineName?: string;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

export interface LocalExecution {
  readonly name: string;
  readonly executionArn: string;
  readonly input: unknown;
  status: ExecutionStatus;
  readonly startedAt: string;
  stoppedAt?: string;
  /** States entered, in order. */
  readonly states: string[];
  /** The state entered last and its input: where a restart resumes. */
  current?: { readonly state: string; readonly input: unknown };
  output?: unknown;
  error?: string;
  cause?: string;
}

/** An event the definition put on EventBridge; locally kept and printed. */
export interface LocalEvent {
  readonly source: string;
  readonly detailType: string;
  readonly detail: unknown;
  readonly eventBusName: string;
  readonly time: string;
}

interface WaitingTask {
  readonly execution: string;
  readonly resolve: (output: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

interface StateDefinition {
  readonly Type: string;
  readonly Resource?: string;
  readonly Parameters?: { readonly FunctionName?: string; readonly Payload?: Record<string, unknown> };
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
}

interface Definition {
  StartAt: string;
  readonly States: Record<string, StateDefinition>;
}

/** A Lambda function error, named as Step Functions names it (the function's error type). */
function taskError(error: unknown): Error {
  const errorType = error instanceof Error ? error.name : 'Error';
  const errorMessage = error instanceof Error ? error.message : String(error);
  const failure = new Error(JSON.stringify({ errorType, errorMessage }));
  failure.name = errorType;
  return failure;
}

/** The waiting task's own timeout, caught by `"ErrorEquals": ["States.Timeout"]`. */
class TaskTimeoutError extends Error {
  constructor() {
    super('States.Timeout');
    this.name = 'States.Timeout';
  }
}

function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/**
 * The governance state machine on a laptop: the same ASL, run by aws-local-stepfunctions, with
 * its Lambda tasks calling the local handlers. Where the library falls short of Step Functions,
 * this adapter fills in:
 * - `.waitForTaskToken`: the library has no callbacks and no `$$.Task.Token`. Each waiting task
 *   gets a fresh token in its payload; it waits until `sendTaskSuccess`/`sendTaskFailure` with
 *   that token, or fails with `States.Timeout` when its timeout elapses. The timeout comes from
 *   the payload entry that passes the same path as the state's `TimeoutSecondsPath` (the
 *   library would read that path after `Parameters`, and cannot time beyond 24.8 days).
 * - `events:putEvents`: kept in `events` and printed.
 * - Executions are kept in `dir` as they move; after a restart `resume` runs each unfinished one
 *   again from the state it was in (a waiting step asks again, with new links).
 */
export class LocalWorkflowEngine implements WorkflowEngine {
  readonly events: LocalEvent[] = [];
  private readonly definition: Definition;
  private readonly machine: StateMachine;
  private readonly functionNames = new Map<string, string>();
  /** The payload entry holding each waiting state's timeout. */
  private readonly timeoutKeys = new Map<string, string>();
  private readonly executions = new Map<string, LocalExecution>();
  private readonly running = new Map<string, { abort: () => void; done: Promise<void> }>();
  private readonly waiting = new Map<string, WaitingTask>();
  private readonly writes = new Map<string, Promise<void>>();
  private readonly print: (line: string) => void;
  private closing = false;

  constructor(private readonly options: LocalWorkflowOptions) {
    this.print = options.print ?? ((line) => console.log(line));
    const values: Record<string, string> = { ...options.values };
    for (const [placeholder, name] of Object.entries(options.functions)) {
      const arn = `arn:aws:lambda:local:000000000000:function:vigil-${name}`;
      values[placeholder] = arn;
      this.functionNames.set(arn, name);
    }
    const text = options.definition.replace(/\$\{(\w+)\}/g, (_match, name: string) => {
      const value = values[name];
      if (value === undefined) throw new Error(`No local value for \${${name}} in the definition`);
      return value;
    });
    this.definition = this.localDefinition(JSON.parse(text) as Definition);
    // Validates the definition (paths, ARNs, reachability) as Step Functions would.
    this.machine = new StateMachine(this.definition as never);
  }

  /** Checks what the local engine needs of every Task state and adapts waiting tasks' timeouts. */
  private localDefinition(definition: Definition): Definition {
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Type === 'Parallel' || state.Type === 'Map') {
        throw new Error(`State "${name}": ${state.Type} states are not supported by the local engine`);
      }
      if (state.Type !== 'Task') continue;
      if (![LAMBDA_INVOKE, LAMBDA_WAIT, PUT_EVENTS].includes(state.Resource ?? '')) {
        throw new Error(`State "${name}": the local engine cannot run ${state.Resource}`);
      }
      if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
        throw new Error(`State "${name}" has no TimeoutSeconds: every task must time out`);
      }
      if (state.Resource !== LAMBDA_WAIT) continue;
      if (state.TimeoutSecondsPath !== undefined) {
        const key = Object.entries(state.Parameters?.Payload ?? {}).find(
          ([field, value]) => field.endsWith('.$') && value === state.TimeoutSecondsPath,
        )?.[0];
        if (!key) {
          throw new Error(
            `State "${name}": pass ${state.TimeoutSecondsPath} in the Payload too, so the local engine can time the task`,
          );
        }
        this.timeoutKeys.set(name, key.slice(0, -2));
        delete state.TimeoutSecondsPath;
      } else {
        this.timeoutKeys.set(name, '');
      }
      // The adapter times the task itself; the library's own timer only has to stay out of the way.
      state.TimeoutSeconds = MAX_TIMER_SECONDS;
    }
    return definition;
  }

  async startExecution(name: string, input: Record<string, unknown>) {
    const executionArn = `arn:aws:states:local:000000000000:execution:${this.options.stateMachineName ?? 'vigil-governance'}:${name}`;
    if (this.executions.has(name) || (await this.stored(name))) return { executionArn, started: false };
    const execution: LocalExecution = {
      name,
      executionArn,
      input: clone(input),
      status: 'RUNNING',
      startedAt: new Date().toISOString(),
      states: [],
    };
    this.executions.set(name, execution);
    await this.persist(execution);
    this.print(`▶ workflow ${name} started`);
    this.run(execution, this.machine, clone(input));
    return { executionArn, started: true };
  }

  async sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    const task = this.take(taskToken);
    task.resolve(clone(output));
  }

  async sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void> {
    const task = this.take(taskToken);
    const failure = new Error(cause);
    failure.name = error;
    task.reject(failure);
  }

  /** Whether a task of this engine waits on `taskToken`. */
  isWaiting(taskToken: string): boolean {
    return this.waiting.has(taskToken);
  }

  /** An execution of this engine (started or resumed since it was created). */
  execution(name: string): LocalExecution | undefined {
    return this.executions.get(name);
  }

  /** Resolves when the execution ends (at once when it is not running). */
  async settled(name: string): Promise<LocalExecution | undefined> {
    await this.running.get(name)?.done;
    return this.executions.get(name);
  }

  /**
   * Runs every execution that was still running when the data dir was last used, again from the
   * state it was in. Answers their names.
   */
  async resume(): Promise<string[]> {
    if (!this.options.dir) return [];
    const files = await readdir(this.options.dir).catch(() => [] as string[]);
    const resumed: string[] = [];
    for (const file of files.filter((f) => f.endsWith('.json'))) {
      const execution = JSON.parse(
        await readFile(path.join(this.options.dir, file), 'utf8'),
      ) as LocalExecution;
      if (execution.status !== 'RUNNING' || this.executions.has(execution.name)) continue;
      this.executions.set(execution.name, execution);
      const from = execution.current;
      const machine = from
        ? new StateMachine({ ...this.definition, StartAt: from.state } as never, {
            validationOptions: { noValidate: true },
          })
        : this.machine;
      this.print(`↻ workflow ${execution.name} resumed at "${from?.state ?? this.definition.StartAt}"`);
      this.run(execution, machine, clone(from?.input ?? execution.input));
      resumed.push(execution.name);
    }
    return resumed;
  }

  /** Stops every running execution (kept as running on disk, so the next start resumes them). */
  async close(): Promise<void> {
    this.closing = true;
    for (const task of this.waiting.values()) clearTimeout(task.timer);
    this.waiting.clear();
    const done = [...this.running.values()].map((run) => {
      run.abort();
      return run.done;
    });
    await Promise.all(done);
    await Promise.all(this.writes.values());
  }

  private run(execution: LocalExecution, machine: StateMachine, input: unknown): void {
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [state, definition] of Object.entries(this.definition.States)) {
      if (definition.Type !== 'Task') continue;
      if (definition.Resource === LAMBDA_INVOKE) handlers[state] = (task) => this.invoke(task);
      else if (definition.Resource === LAMBDA_WAIT)
        handlers[state] = (task) => this.waitForToken(execution, state, task);
      else handlers[state] = async (task) => this.putEvents(task);
    }
    const run = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
      noThrowOnAbort: true,
      context: {
        Execution: { Id: execution.executionArn, Name: execution.name },
        Task: { Token: TOKEN_PLACEHOLDER },
      } as never,
    });
    const track = (async () => {
      for await (const event of run.eventLogs) {
        if (event.type !== 'StateEntered') continue;
        // Kept even while closing: a state entered before the stop is where the next start resumes.
        execution.states.push(event.state.name);
        execution.current = { state: event.state.name, input: clone(event.state.input) };
        await this.persist(execution);
      }
    })();
    const done = run.result.then(
      (output) => {
        if (this.closing) return;
        execution.status = 'SUCCEEDED';
        execution.output = output;
      },
      (error: unknown) => {
        if (this.closing) return;
        const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
        execution.status = 'FAILED';
        execution.error = cause?.name ?? (error instanceof Error ? error.name : 'Error');
        execution.cause = cause?.message ?? String(error);
      },
    );
    const finished = Promise.all([done, track.catch(() => undefined)]).then(async () => {
      this.running.delete(execution.name);
      if (this.closing) return;
      execution.stoppedAt = new Date().toISOString();
      delete execution.current;
      await this.persist(execution);
      this.print(
        `■ workflow ${execution.name} ${execution.status}${execution.error ? `: ${execution.error} ${execution.cause ?? ''}` : ''}`,
      );
    });
    this.running.set(execution.name, { abort: run.abort, done: finished });
  }

  private async invoke(task: unknown): Promise<unknown> {
    const { FunctionName, Payload } = task as { FunctionName: string; Payload: unknown };
    const result = await this.call(FunctionName, Payload);
    return { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 };
  }

  private async call(functionArn: string, payload: unknown): Promise<unknown> {
    const name = this.functionNames.get(functionArn);
    if (!name) throw new Error(`No local function for ${functionArn}`);
    const handler = await this.options.resolve(name);
    try {
      return clone(await handler(clone(payload), lambdaContext(`vigil-${name}`)));
    } catch (error) {
      throw taskError(error);
    }
  }

  private async waitForToken(execution: LocalExecution, state: string, task: unknown): Promise<unknown> {
    const taskToken = `local-${randomUUID()}`;
    const { FunctionName, Payload } = JSON.parse(
      JSON.stringify(task).replaceAll(JSON.stringify(TOKEN_PLACEHOLDER), JSON.stringify(taskToken)),
    ) as { FunctionName: string; Payload: Record<string, unknown> };
    const key = this.timeoutKeys.get(state) as string;
    const seconds = key ? Number(Payload[key]) : Number(this.definition.States[state]?.TimeoutSeconds);
    if (!Number.isInteger(seconds) || seconds < 1) {
      throw new Error(`State "${state}": the timeout ${String(Payload[key])} is not a positive integer`);
    }
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(taskToken);
        reject(new TaskTimeoutError());
      }, Math.min(seconds, MAX_TIMER_SECONDS) * 1000);
      this.waiting.set(taskToken, { execution: execution.name, resolve, reject, timer });
    });
    // The timeout may fire while the request is still being sent: the rejection is awaited below.
    answer.catch(() => undefined);
    try {
      await this.call(FunctionName, Payload);
    } catch (error) {
      const waiting = this.waiting.get(taskToken);
      if (waiting) clearTimeout(waiting.timer);
      this.waiting.delete(taskToken);
      throw error;
    }
    return answer;
  }

  private take(taskToken: string): WaitingTask {
    const task = this.waiting.get(taskToken);
    if (!task)
      throw new TaskNotWaitingError('No task waits on this token (it timed out, or its execution ended)');
    clearTimeout(task.timer);
    this.waiting.delete(taskToken);
    return task;
  }

  private putEvents(task: unknown): unknown {
    const { Entries } = task as {
      Entries: { Source: string; DetailType: string; Detail: unknown; EventBusName: string }[];
    };
    const time = new Date().toISOString();
    for (const entry of Entries) {
      const event: LocalEvent = {
        source: entry.Source,
        detailType: entry.DetailType,
        detail: clone(entry.Detail),
        eventBusName: entry.EventBusName,
        time,
      };
      this.events.push(event);
      this.print(`⚑ event ${event.detailType} ${JSON.stringify(event.detail)}`);
    }
    return { Entries: Entries.map(() => ({ EventId: randomUUID() })), FailedEntryCount: 0 };
  }

  private async stored(name: string): Promise<boolean> {
    if (!this.options.dir) return false;
    return readFile(this.file(name)).then(
      () => true,
      () => false,
    );
  }

  private file(name: string): string {
    return path.join(this.options.dir as string, `${name}.json`);
  }

  /** Writes the execution to its file (in order per execution, atomically by rename). */
  private persist(execution: LocalExecution): Promise<void> {
    const dir = this.options.dir;
    if (!dir) return Promise.resolve();
    const snapshot = JSON.stringify(execution, null, 2);
    const previous = this.writes.get(execution.name) ?? Promise.resolve();
    const write = previous.then(async () => {
      await mkdir(dir, { recursive: true });
      const temporary = `${this.file(execution.name)}.${randomUUID()}.tmp`;
      await writeFile(temporary, snapshot);
      await rename(temporary, this.file(execution.name));
    });
    const settled = write.catch((error: unknown) => {
      this.print(`! could not keep workflow ${execution.name}: ${String(error)}`);
    });
    this.writes.set(execution.name, settled);
    return settled;
  }
}

/**
 * Several local state machines behind the one workflow port, as Step Functions serves several:
 * an execution starts on the machine it names, and a task response goes to the machine whose
 * task waits on the token.
 */
export class LocalWorkflowRouter implements WorkflowEngine {
  constructor(private readonly machines: Readonly<Record<WorkflowMachine, LocalWorkflowEngine>>) {}

  startExecution(name: string, input: Record<string, unknown>, machine: WorkflowMachine = 'governance') {
    return this.machines[machine].startExecution(name, input);
  }

  sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    return this.machineWaiting(taskToken).sendTaskSuccess(taskToken, output);
  }

  sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void> {
    return this.machineWaiting(taskToken).sendTaskFailure(taskToken, error, cause);
  }

  private machineWaiting(taskToken: string): LocalWorkflowEngine {
    const engines = Object.values(this.machines);
    // No machine waits on it: the first answers TaskNotWaitingError, as Step Functions would.
    return engines.find((engine) => engine.isWaiting(taskToken)) ?? (engines[0] as LocalWorkflowEngine);
  }
}
