import { hostname } from 'node:os';
import { type Job, type Queue, Worker } from 'bullmq';
import { type BackoffOptions, retryTransient } from '../../core/transient.js';
import { executeStep, runLog } from '../execute.js';
import { DEFAULT_STEP_RETRY } from '../runner.js';
import { PipelineStore } from '../store.js';
import type { LogLevel, PipelineServices, PipelineStep } from '../types.js';
import { advance, connectionOf, openQueue, type QueueSettings, type StepJob } from './jobs.js';

/** This worker's id as recorded on the steps it runs: `host:pid`. */
export const workerId = () => `${hostname()}:${process.pid}`;

/** How often a worker running a step checks whether its run was cancelled or resumed elsewhere. */
const WATCH_MS = 1000;

export interface PipelineWorkerOptions {
  log?: (level: LogLevel, message: string) => void;
  /** Recorded on the steps it runs (default {@link workerId}). */
  id?: string;
  /** Minimum time between two persisted progress updates of a step. */
  progressIntervalMs?: number;
  retry?: BackoffOptions;
}

/**
 * A pipeline worker (`reviewlens worker`): takes step jobs from the BullMQ queue one at a time and runs
 * them with {@link executeStep}, then queues the run's next step (or finishes the run). Several workers on
 * several machines share one queue; a run's steps still run in order, while different runs go on in
 * parallel. Delivery is at least once: a worker that is killed mid-step stops renewing its lock, and after
 * `lockSeconds` BullMQ's stalled-job check hands the job to another worker, which runs the step again from
 * its start. Steps are written to be re-run (each skips the work already done: see their docs) and their
 * result is recorded once per run + step, so a step's effects are not applied twice.
 */
export class PipelineWorker {
  readonly id: string;
  readonly store: PipelineStore;
  private readonly steps = new Map<string, PipelineStep>();
  private readonly queue: Queue;
  private worker: Worker<StepJob> | undefined;
  private current: AbortController | undefined;
  private closing = false;

  constructor(
    private readonly services: PipelineServices,
    steps: readonly PipelineStep[],
    readonly settings: QueueSettings,
    private readonly opts: PipelineWorkerOptions = {},
  ) {
    this.id = opts.id ?? workerId();
    this.store = new PipelineStore(services.meta.db);
    for (const s of steps) this.steps.set(s.name, s);
    this.queue = openQueue(settings);
  }

  /** Starts taking jobs; resolves once connected to Redis. */
  async start(): Promise<this> {
    const lockMs = this.settings.lockSeconds * 1000;
    this.worker = new Worker<StepJob>(this.settings.name, (job) => this.process(job), {
      connection: connectionOf(this.settings),
      prefix: this.settings.prefix,
      concurrency: 1,
      lockDuration: lockMs,
      stalledInterval: Math.max(1000, Math.round(lockMs / 2)),
      maxStalledCount: this.settings.maxStalled,
    });
    this.worker.on('error', (e) => this.opts.log?.('error', `worker ${this.id}: ${e.message}`));
    await this.worker.waitUntilReady();
    return this;
  }

  /** Stops taking jobs; a running step is interrupted and handed back to the queue for another worker. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.current?.abort(new Error('the worker is shutting down'));
    await this.worker?.close();
    await this.queue.close();
  }

  private get retry(): BackoffOptions {
    const c = this.services.config?.pipeline;
    return (
      this.opts.retry ??
      (c ? { attempts: c.retryAttempts, baseMs: c.retryBaseMs, maxMs: c.retryMaxMs } : DEFAULT_STEP_RETRY)
    );
  }

  private async process(job: Job<StepJob>): Promise<Record<string, unknown>> {
    const { runId, position, epoch } = job.data;
    const read = () => retryTransient(() => this.store.get(runId), this.retry);
    const run = await read();
    if (!run || run.epoch !== epoch || (run.status !== 'queued' && run.status !== 'running')) {
      return { stale: true };
    }
    const s = run.steps[position];
    if (!s) return { stale: true };
    const log = this.opts.log;
    const say = runLog(this.store, runId, log);
    if (s.status === 'succeeded' || s.status === 'skipped') {
      // Recorded by an earlier delivery that died before queueing the next step.
      await advance(this.store, this.queue, runId, log);
      return { alreadyDone: true };
    }
    const step = this.steps.get(s.name);
    if (!step) {
      await this.store.setStep(runId, position, { status: 'failed', error: `step ${s.name} is not registered` });
      await this.store.finishRun(runId, 'failed', `step ${s.name} is not registered in worker ${this.id}`);
      return { failed: true };
    }
    if (await this.store.markRunning(runId)) {
      await say('info', null, `started: ${run.steps.map((x) => x.name).join(' → ')} (workers)`);
    }
    if (s.attempts > 0) {
      await say('warn', s.name, `taken over by worker ${this.id} (attempt ${s.attempts + 1}; last run by ${s.worker})`);
    }
    const outputs: Record<string, Record<string, unknown>> = {};
    for (const e of run.steps.slice(0, position)) if (e.output) outputs[e.name] = e.output;
    const abort = new AbortController();
    this.current = abort;
    // Cancel (or a resume that bumped the epoch) is seen by polling the run.
    const watch = setInterval(() => {
      void this.store
        .get(runId)
        .then((r) => {
          if (r && (r.status === 'cancelled' || r.epoch !== epoch)) abort.abort(new Error('cancelled'));
        })
        .catch(() => {});
    }, WATCH_MS);
    try {
      const outcome = await executeStep({
        store: this.store,
        services: this.services,
        step,
        run,
        position,
        worker: this.id,
        outputs,
        signal: abort.signal,
        retry: this.retry,
        progressIntervalMs: this.opts.progressIntervalMs ?? 500,
        ...(log ? { log } : {}),
      });
      switch (outcome.kind) {
        case 'succeeded':
        case 'skipped':
        case 'already-done':
          await advance(this.store, this.queue, runId, log);
          return { outcome: outcome.kind };
        case 'failed':
          await this.store.finishRun(runId, 'failed', `${s.name}: ${outcome.error}`);
          return { outcome: 'failed', error: outcome.error };
        case 'aborted':
          if (this.closing) {
            await this.store.setStep(runId, position, { status: 'pending', message: 'interrupted by worker shutdown' });
            await say('warn', s.name, `worker ${this.id} shut down mid-step; another worker takes it over`);
            // Thrown so that BullMQ retries the job (another worker, or this one after a restart).
            throw new Error(`worker ${this.id} shut down during ${s.name}`);
          }
          await this.store.setStep(runId, position, { status: 'cancelled', error: 'cancelled' });
          await say('warn', s.name, 'cancelled');
          return { outcome: 'cancelled' };
      }
    } finally {
      clearInterval(watch);
      this.current = undefined;
    }
  }
}
