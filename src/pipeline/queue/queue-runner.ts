import type { Queue } from 'bullmq';
import type { Kysely } from 'kysely';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import type { Database } from '../../storage/index.js';
import { type PipelineControl, resolveSteps, type StartRequest } from '../runner.js';
import { PipelineStore, type RunView } from '../store.js';
import type { LogLevel } from '../types.js';
import { advance, openQueue, type QueueSettings, stepJobId } from './jobs.js';

/**
 * The scale-out runner (`pipeline.queue.backend: bullmq`): records runs in the metadata store like the
 * in-process runner, but hands their steps to `reviewlens worker` processes through a BullMQ queue on
 * Redis, one job per step (src/pipeline/queue/worker.ts). It runs no step itself, so a server that uses it
 * needs no step's dependencies. Cancel marks the run; the worker running its step sees it within a second.
 */
export class QueuedPipelineRunner implements PipelineControl {
  readonly kind = 'bullmq';
  readonly store: PipelineStore;
  private readonly queue: Queue;
  private closed = false;

  constructor(
    db: Kysely<Database>,
    private readonly steps: ReadonlyArray<{ name: string; description: string }>,
    readonly settings: QueueSettings,
    private readonly opts: { log?: (level: LogLevel, message: string) => void } = {},
  ) {
    this.store = new PipelineStore(db);
    this.queue = openQueue(settings);
  }

  available(): Array<{ name: string; description: string }> {
    return this.steps.map((s) => ({ name: s.name, description: s.description }));
  }

  async start(req: StartRequest = {}): Promise<RunView> {
    if (this.closed) throw new ValidationError('the pipeline runner is shutting down', 'steps');
    const names = resolveSteps(
      this.steps.map((s) => s.name),
      req.steps,
    );
    const id = await this.store.create(names, req.params ?? {}, req.requestedBy ?? null, req.schedule ?? null);
    await this.dispatch(id);
    return (await this.store.get(id))!;
  }

  async dispatch(id: number): Promise<void> {
    await advance(this.store, this.queue, id, this.opts.log);
  }

  async resume(id: number): Promise<RunView> {
    const run = await this.store.get(id);
    if (!run) throw new NotFoundError(`pipeline run ${id} does not exist`);
    if (run.status === 'succeeded') throw new ValidationError(`pipeline run ${id} already succeeded`, 'id');
    if (run.status === 'failed' || run.status === 'cancelled') {
      await this.store.requeue(id);
      await this.store.log(id, null, 'info', 'resume requested');
    }
    await this.dispatch(id);
    return (await this.store.get(id))!;
  }

  async cancel(id: number): Promise<RunView> {
    const run = await this.store.get(id);
    if (!run) throw new NotFoundError(`pipeline run ${id} does not exist`);
    if (
      await this.store.finishRun(id, 'cancelled', run.status === 'queued' ? 'cancelled before it started' : 'cancelled')
    ) {
      await this.store.log(id, null, 'warn', 'cancel requested');
      const next = run.steps.find((s) => s.status !== 'succeeded' && s.status !== 'skipped');
      // A job still waiting is dropped; one a worker holds is stopped by that worker (it watches the run).
      if (next) {
        await this.queue
          .remove(stepJobId({ runId: id, position: next.position, epoch: run.epoch }))
          .catch(() => undefined);
        if (next.status === 'pending') await this.store.setStep(id, next.position, { status: 'cancelled' });
      }
    }
    return (await this.store.get(id))!;
  }

  async wait(id: number): Promise<RunView> {
    for (;;) {
      const run = await this.store.get(id);
      if (!run) throw new NotFoundError(`pipeline run ${id} does not exist`);
      if (run.status !== 'queued' && run.status !== 'running') return run;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Queues again the runs left queued or running (a job queued twice is added once). */
  async resumeUnfinished(): Promise<number[]> {
    const ids = await this.store.unfinished();
    for (const id of ids) await this.dispatch(id);
    return ids;
  }

  /** How many step jobs wait, run, or wait to be retried (for the health report and the bench). */
  async counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.close();
  }
}
