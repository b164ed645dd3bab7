import { type JobsOptions, Queue } from 'bullmq';
import type { Config } from '../../core/config.js';
import { runLog } from '../execute.js';
import type { PipelineStore } from '../store.js';
import type { LogLevel } from '../types.js';

/** Where the step jobs live: a BullMQ queue on Redis (`pipeline.queue`, `redis.url`). */
export interface QueueSettings {
  redisUrl: string;
  /** BullMQ queue name. */
  name: string;
  /** Redis key prefix of the queue (BullMQ's `prefix`). */
  prefix: string;
  /** A worker's lock on a job (BullMQ `lockDuration`), in seconds: a killed worker's step moves on after this. */
  lockSeconds: number;
  /** Re-deliveries of a stalled job before BullMQ fails it (`maxStalledCount`). */
  maxStalled: number;
}

export function queueSettings(config: Config): QueueSettings {
  const q = config.pipeline.queue;
  return {
    redisUrl: config.redis.url,
    name: q.name,
    prefix: q.prefix,
    lockSeconds: q.lockSeconds,
    maxStalled: q.maxStalled,
  };
}

/** BullMQ's connection options for `settings` (a worker's blocking connection needs `maxRetriesPerRequest: null`). */
export const connectionOf = (s: QueueSettings) => ({ url: s.redisUrl, maxRetriesPerRequest: null });

/** The data of a step job: which step of which run, and the run's epoch when it was queued. */
export interface StepJob {
  runId: number;
  position: number;
  epoch: number;
}

/**
 * The job id of a step: one job per run, step and epoch, so queueing a step twice (a server restart, two
 * servers resuming the same run, a worker re-advancing after a crash) adds it once (BullMQ ignores an `add`
 * whose job id exists). A resume bumps the epoch, so a failed step can be queued again.
 */
export const stepJobId = (j: StepJob) => `run-${j.runId}-step-${j.position}-e${j.epoch}`;

const JOB_OPTIONS: JobsOptions = {
  // A step that throws is recorded failed by the worker and its job completes: BullMQ's own retries are
  // for a worker that shut down mid-step (it throws so another worker takes the step).
  attempts: 3,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 7 * 86_400, count: 10_000 },
  removeOnFail: { age: 30 * 86_400 },
};

/** Opens the producer side of the queue. */
export function openQueue(s: QueueSettings): Queue {
  return new Queue(s.name, { connection: connectionOf(s), prefix: s.prefix });
}

/**
 * Moves a run on: queues a job for its first step that has not finished (succeeded or skipped), or, when
 * every step has finished, records the run `succeeded` (once). A run that is not queued or running is
 * left alone. Safe to call any number of times from any process (see {@link stepJobId}).
 */
export async function advance(
  store: PipelineStore,
  queue: Queue,
  runId: number,
  log?: (level: LogLevel, message: string) => void,
): Promise<'queued' | 'finished' | 'idle'> {
  const run = await store.get(runId);
  if (!run || (run.status !== 'queued' && run.status !== 'running')) return 'idle';
  const next = run.steps.find((s) => s.status !== 'succeeded' && s.status !== 'skipped');
  if (!next) {
    if (await store.finishRun(runId, 'succeeded')) await runLog(store, runId, log)('info', null, 'finished');
    return 'finished';
  }
  const job: StepJob = { runId, position: next.position, epoch: run.epoch };
  await queue.add(next.name, job, { ...JOB_OPTIONS, jobId: stepJobId(job) });
  return 'queued';
}
