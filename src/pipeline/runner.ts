import { NotFoundError, ValidationError } from '../core/errors.js';
import { type BackoffOptions, retryTransient } from '../core/transient.js';
import { executeStep, runLog } from './execute.js';
import { PipelineStore, type RunView } from './store.js';
import type { LogLevel, PipelineServices, PipelineStep } from './types.js';

/** The worker name the in-process runner records on the steps it runs. */
export const IN_PROCESS = 'in-process';

/**
 * What the server, the CLI and the scheduler ask of a pipeline runner: the in-process {@link PipelineRunner}
 * (the embedded default) and the queue runner that hands steps to `reviewlens worker` processes
 * (`pipeline.queue.backend: bullmq`, src/pipeline/queue) both answer it.
 */
export interface PipelineControl {
  readonly store: PipelineStore;
  /** `in-process` or `bullmq`. */
  readonly kind: string;
  available(): Array<{ name: string; description: string }>;
  start(req?: StartRequest): Promise<RunView>;
  /** Sets a run recorded elsewhere (a schedule's fire, in its own transaction) going. */
  dispatch(id: number): Promise<void>;
  resume(id: number): Promise<RunView>;
  cancel(id: number): Promise<RunView>;
  wait(id: number): Promise<RunView>;
  resumeUnfinished(): Promise<number[]>;
  close(): Promise<void>;
}

/** Step names of a request checked against the registered ones; default: all of them, in order. */
export function resolveSteps(known: readonly string[], steps: string[] | undefined): string[] {
  const names = steps && steps.length > 0 ? steps : [...known];
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new ValidationError(
      `unknown pipeline step${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${known.join(', ')})`,
      'steps',
    );
  }
  return names;
}

export interface RunnerOptions {
  /** Where runner events go besides the run's own log (the server's logger, the CLI's stderr). */
  log?: (level: LogLevel, message: string) => void;
  /** Minimum time between two persisted progress updates of a step (the final one is always written). */
  progressIntervalMs?: number;
  /**
   * Retries of a step that failed because a store was unreachable (a connection error: see
   * core/transient.ts), with exponential backoff; the runner's own writes to the metadata store are
   * retried the same way. Default: the config's `pipeline.retryAttempts`, `retryBaseMs`, `retryMaxMs`
   * (5 attempts, 1 s doubling to at most 30 s).
   */
  retry?: BackoffOptions;
}

/** The default of {@link RunnerOptions.retry}. */
export const DEFAULT_STEP_RETRY: BackoffOptions = { attempts: 5, baseMs: 1000, maxMs: 30_000 };

export interface StartRequest {
  /** Step names in order; default: every registered step. */
  steps?: string[];
  params?: Record<string, unknown>;
  requestedBy?: string | null;
  /** The schedule that starts it (recorded on the run). */
  schedule?: string | null;
}

/**
 * The in-process pipeline runner: one run at a time, in the order they were requested. Every state change
 * is written to the metadata store first, so a process that dies mid-run leaves a run that `resumeUnfinished`
 * picks up again from its first step that had not succeeded (steps are written to be re-runnable).
 * A step that fails because a store is unreachable (PostgreSQL or Redis down, a dropped connection) is
 * run again after an exponential backoff, a bounded number of times (`RunnerOptions.retry`), so a short
 * outage costs a run some time, not its success.
 */
export class PipelineRunner implements PipelineControl {
  readonly store: PipelineStore;
  readonly kind = IN_PROCESS;
  private readonly steps = new Map<string, PipelineStep>();
  private readonly queue: number[] = [];
  private current: { id: number; abort: AbortController } | undefined;
  private loop: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly services: PipelineServices,
    steps: readonly PipelineStep[],
    private readonly opts: RunnerOptions = {},
  ) {
    this.store = new PipelineStore(services.meta.db);
    for (const s of steps) this.steps.set(s.name, s);
  }

  /** The registered steps, in their default order. */
  available(): Array<{ name: string; description: string }> {
    return [...this.steps.values()].map((s) => ({ name: s.name, description: s.description }));
  }

  /** Records a run and queues it; answers at once with the queued run. */
  async start(req: StartRequest = {}): Promise<RunView> {
    if (this.closed) throw new ValidationError('the pipeline runner is shutting down', 'steps');
    const names = resolveSteps([...this.steps.keys()], req.steps);
    const id = await this.store.create(names, req.params ?? {}, req.requestedBy ?? null, req.schedule ?? null);
    this.enqueue(id);
    return (await this.store.get(id))!;
  }

  async dispatch(id: number): Promise<void> {
    if (!this.closed) this.enqueue(id);
  }

  /** Queues the runs a stopped process left unfinished; returns their ids. */
  async resumeUnfinished(): Promise<number[]> {
    const ids = await this.store.unfinished();
    for (const id of ids) {
      await this.store.log(id, null, 'info', 'resumed after the process that ran it stopped');
      this.enqueue(id);
    }
    return ids;
  }

  /** Queues one stopped or failed run again from its first step that did not succeed. */
  async resume(id: number): Promise<RunView> {
    const run = await this.store.get(id);
    if (!run) throw new NotFoundError(`pipeline run ${id} does not exist`);
    if (run.status === 'succeeded') throw new ValidationError(`pipeline run ${id} already succeeded`, 'id');
    if (this.current?.id === id || this.queue.includes(id)) return run;
    await this.store.setRun(id, 'queued');
    await this.store.log(id, null, 'info', 'resume requested');
    this.enqueue(id);
    return (await this.store.get(id))!;
  }

  /** Cancels a queued run, or aborts the running one (its step sees `ctx.signal` aborted). */
  async cancel(id: number): Promise<RunView> {
    const run = await this.store.get(id);
    if (!run) throw new NotFoundError(`pipeline run ${id} does not exist`);
    const queued = this.queue.indexOf(id);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      await this.store.setRun(id, 'cancelled', 'cancelled before it started');
    } else if (this.current?.id === id) {
      this.current.abort.abort(new Error('cancelled'));
    } else if (run.status === 'queued' || run.status === 'running') {
      await this.store.setRun(id, 'cancelled', 'cancelled');
    }
    return (await this.waitIfCurrent(id)) ?? (await this.store.get(id))!;
  }

  /** Resolves when the run has finished (succeeded, failed or cancelled). */
  async wait(id: number): Promise<RunView> {
    for (;;) {
      // Whether this process is running runs is read before the store: a run that finishes while the store is
      // read shows as finished on the next read, not as someone else's (the loop may end in between).
      const local = this.loop !== undefined;
      const run = await this.store.get(id);
      if (!run) throw new NotFoundError(`pipeline run ${id} does not exist`);
      if (run.status !== 'queued' && run.status !== 'running') return run;
      if (!local) throw new ValidationError(`pipeline run ${id} is ${run.status} in another process`, 'id');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops taking runs, aborts the running step and waits for it; the run stays `running` and resumes next start. */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    this.current?.abort.abort(new Error('shutting down'));
    await this.loop;
  }

  private async waitIfCurrent(id: number): Promise<RunView | undefined> {
    if (this.current?.id !== id) return undefined;
    return this.wait(id);
  }

  private enqueue(id: number): void {
    this.queue.push(id);
    if (!this.loop) {
      this.loop = this.drain().finally(() => {
        this.loop = undefined;
      });
    }
  }

  private async drain(): Promise<void> {
    for (let id = this.queue.shift(); id !== undefined && !this.closed; id = this.queue.shift()) {
      try {
        await this.execute(id);
      } catch (e) {
        this.opts.log?.('error', `pipeline run ${id}: ${(e as Error).message}`);
      }
    }
  }

  private get retry(): BackoffOptions {
    const c = this.services.config?.pipeline;
    return (
      this.opts.retry ??
      (c ? { attempts: c.retryAttempts, baseMs: c.retryBaseMs, maxMs: c.retryMaxMs } : DEFAULT_STEP_RETRY)
    );
  }

  /** A write of the runner's own state, retried like a step while the store is unreachable. */
  private persist<T>(what: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return retryTransient(fn, {
      ...this.retry,
      signal,
      onRetry: (e, attempt, delay) =>
        this.opts.log?.(
          'warn',
          `${what}: the metadata store is unreachable (${(e as Error).message}); retry ${attempt}/${this.retry.attempts - 1} in ${delay} ms`,
        ),
    });
  }

  private async execute(id: number): Promise<void> {
    const run = await this.persist(`pipeline run ${id}`, () => this.store.get(id));
    if (!run || run.status === 'succeeded' || run.status === 'cancelled') return;
    const abort = new AbortController();
    this.current = { id, abort };
    const say = runLog(this.store, id, this.opts.log);
    const setRun = (...a: Parameters<PipelineStore['setRun']>) =>
      this.persist(`pipeline run ${id}`, () => this.store.setRun(...a));
    const setStep = (...a: Parameters<PipelineStore['setStep']>) =>
      this.persist(`pipeline run ${id}`, () => this.store.setStep(...a));
    try {
      await setRun(id, 'running');
      await say('info', null, `started: ${run.steps.map((s) => s.name).join(' → ')}`);
      const outputs: Record<string, Record<string, unknown>> = {};
      for (const s of run.steps) {
        if (s.status === 'succeeded' || s.status === 'skipped') {
          if (s.output) outputs[s.name] = s.output;
          continue;
        }
        const step = this.steps.get(s.name);
        if (!step) {
          await setStep(id, s.position, { status: 'failed', error: `step ${s.name} is not registered` });
          await setRun(id, 'failed', `step ${s.name} is not registered in this process`);
          return;
        }
        if (abort.signal.aborted) break;
        const outcome = await executeStep({
          store: this.store,
          services: this.services,
          step,
          run,
          position: s.position,
          worker: IN_PROCESS,
          outputs,
          signal: abort.signal,
          retry: this.retry,
          progressIntervalMs: this.opts.progressIntervalMs ?? 250,
          ...(this.opts.log ? { log: this.opts.log } : {}),
        });
        if (outcome.kind === 'succeeded' || outcome.kind === 'skipped') {
          outputs[s.name] = outcome.output;
        } else if (outcome.kind === 'already-done') {
          const output = (await this.store.get(id))?.steps[s.position]?.output;
          if (output) outputs[s.name] = output;
        } else if (outcome.kind === 'failed') {
          await setRun(id, 'failed', `${s.name}: ${outcome.error}`);
          return;
        } else {
          if (this.closed) {
            // Shutting down: leave the run `running` so the next start resumes it at this step.
            await setStep(id, s.position, { status: 'pending', message: 'interrupted by shutdown' });
            await say('warn', s.name, 'interrupted by shutdown; the run resumes at this step on the next start');
            return;
          }
          await setStep(id, s.position, { status: 'cancelled', error: 'cancelled' });
          await setRun(id, 'cancelled', `cancelled during ${s.name}`);
          await say('warn', s.name, 'cancelled');
          return;
        }
      }
      if (abort.signal.aborted && !this.closed) {
        await setRun(id, 'cancelled', 'cancelled');
        return;
      }
      await setRun(id, 'succeeded');
      await say('info', null, 'finished');
    } finally {
      this.current = undefined;
    }
  }
}
