import { type BackoffOptions, isTransientError, retryTransient } from '../core/transient.js';
import type { PipelineStore, RunView } from './store.js';
import type { LogLevel, PipelineServices, PipelineStep, StepContext } from './types.js';

/** How one attempt at a step ended. */
export type StepOutcome =
  | { kind: 'succeeded' | 'skipped'; output: Record<string, unknown> }
  /** The step had been recorded by an earlier attempt (another worker, a re-delivered job): nothing was run. */
  | { kind: 'already-done' }
  /** The step threw; it is recorded `failed` with `error`. */
  | { kind: 'failed'; error: string }
  /** `signal` was aborted (cancel or shutdown); the caller records what that means. */
  | { kind: 'aborted' };

export interface ExecuteStepOptions {
  store: PipelineStore;
  services: PipelineServices;
  step: PipelineStep;
  run: RunView;
  position: number;
  /** Recorded on the step: `in-process` or a worker id (`host:pid`). */
  worker: string;
  /** Outputs of the run's earlier steps, by name. */
  outputs: Record<string, Record<string, unknown>>;
  signal: AbortSignal;
  retry: BackoffOptions;
  /** Minimum time between two persisted progress updates (the final one is always written). */
  progressIntervalMs: number;
  /** Where a log line goes besides the run's log (the server's logger, a worker's stderr). */
  log?: (level: LogLevel, message: string) => void;
}

/** Writes a line to the run's log and to `log`; a store that is away only loses the stored copy. */
export function runLog(
  store: PipelineStore,
  runId: number,
  log?: (level: LogLevel, message: string) => void,
): (level: LogLevel, step: string | null, message: string) => Promise<void> {
  return async (level, step, message) => {
    log?.(level, `pipeline run ${runId}${step ? ` ${step}` : ''}: ${message}`);
    await store.log(runId, step, level, message).catch((e: unknown) => {
      if (!isTransientError(e)) throw e;
    });
  };
}

/**
 * One attempt at one step of a run, shared by the in-process runner and the queue workers: claims the step
 * (`running`, this worker, one more attempt; nothing is run when it is already succeeded or skipped), runs
 * it with progress and log wired to the metadata store, retries it while a store is unreachable
 * (`retry`, see core/transient.ts), and records its output once (`PipelineStore.recordStep`, keyed by run +
 * position: a second attempt that finishes later does not overwrite it). A failure is recorded on the step;
 * the caller ends the run.
 */
export async function executeStep(o: ExecuteStepOptions): Promise<StepOutcome> {
  const { store, run, position, step, signal } = o;
  const id = run.id;
  const say = runLog(store, id, o.log);
  const persist = <T>(fn: () => Promise<T>) =>
    retryTransient(fn, {
      ...o.retry,
      signal,
      onRetry: (e, attempt, delay) =>
        o.log?.(
          'warn',
          `pipeline run ${id}: the metadata store is unreachable (${(e as Error).message}); retry ${attempt}/${o.retry.attempts - 1} in ${delay} ms`,
        ),
    });
  if (!(await persist(() => store.claimStep(id, position, o.worker)))) return { kind: 'already-done' };
  let last = 0;
  const ctx: StepContext = {
    runId: id,
    params: run.params,
    outputs: o.outputs,
    signal,
    log: (level, message) => say(level, step.name, message),
    progress: async (fraction, message) => {
      const now = Date.now();
      if (fraction < 1 && now - last < o.progressIntervalMs) return;
      last = now;
      const p = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
      // Progress is not worth failing a step for: while the store is away it is not recorded.
      await store
        .setStep(id, position, { progress: p, ...(message !== undefined ? { message } : {}) })
        .catch((e: unknown) => {
          if (!isTransientError(e)) throw e;
        });
    },
  };
  try {
    const output = await retryTransient(() => step.run(ctx, o.services), {
      ...o.retry,
      signal,
      onRetry: async (e, attempt, delay) => {
        const why = `failed: ${(e as Error).message} (a store is unreachable); retry ${attempt}/${o.retry.attempts - 1} in ${delay} ms`;
        await say('warn', step.name, why);
        await store.setStep(id, position, { message: why }).catch(() => {});
      },
    });
    if (signal.aborted) return { kind: 'aborted' };
    const kind = output.skipped === true ? 'skipped' : 'succeeded';
    const reason = typeof output.reason === 'string' ? output.reason : null;
    const recorded = await persist(() => store.recordStep(id, position, kind, output, reason));
    if (!recorded) {
      await say('warn', step.name, 'finished, but an earlier attempt had recorded this step: its result stands');
      return { kind: 'already-done' };
    }
    await say('info', step.name, kind === 'skipped' ? `skipped: ${String(output.reason ?? '')}` : 'done');
    return { kind, output };
  } catch (e) {
    if (signal.aborted) return { kind: 'aborted' };
    const base = (e as Error).message ?? String(e);
    const msg = isTransientError(e)
      ? `${base} (a store stayed unreachable through ${o.retry.attempts} attempts)`
      : base;
    await persist(() => store.setStep(id, position, { status: 'failed', error: msg }));
    await say('error', step.name, `failed: ${msg}`);
    return { kind: 'failed', error: msg };
  }
}
