import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database, PipelineRunsTable, PipelineStepsTable } from '../storage/index.js';
import type { LogLevel } from './types.js';

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

export interface StepView {
  position: number;
  name: string;
  status: StepStatus;
  progress: number;
  message: string | null;
  output: Record<string, unknown> | null;
  error: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Who ran it last: `in-process` or a worker id (`host:pid`). */
  worker: string | null;
  /** Times the step was started (a step re-delivered after a worker died counts again). */
  attempts: number;
}

export interface RunView {
  id: number;
  flow: string;
  status: RunStatus;
  params: Record<string, unknown>;
  requestedBy: string | null;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** The schedule that started it (`pipeline.schedules[].name`), else null. */
  schedule: string | null;
  /** Bumped by each resume; a queued job of an earlier epoch is stale (scale-out runner). */
  epoch: number;
  steps: StepView[];
}

export interface LogLine {
  id: number;
  step: string | null;
  level: LogLevel;
  message: string;
  at: Date;
}

/** Pipeline runs, their steps and logs in the metadata store: the runner's state, so a run can resume. */
export class PipelineStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Records a queued run with its steps; `schedule` names the schedule that started it. */
  async create(
    steps: string[],
    params: Record<string, unknown>,
    requestedBy: string | null,
    schedule: string | null = null,
  ): Promise<number> {
    return this.db.transaction().execute((tx) => insertRun(tx, steps, params, requestedBy, schedule));
  }

  async get(id: number): Promise<RunView | undefined> {
    const run = await this.db.selectFrom('pipeline_runs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!run) return undefined;
    const steps = await this.db
      .selectFrom('pipeline_steps')
      .selectAll()
      .where('run_id', '=', id)
      .orderBy('position')
      .execute();
    return runView(run, steps);
  }

  /** Newest first. */
  async list(limit = 20, offset = 0): Promise<RunView[]> {
    const runs = await this.db
      .selectFrom('pipeline_runs')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(limit)
      .offset(offset)
      .execute();
    if (runs.length === 0) return [];
    const steps = await this.db
      .selectFrom('pipeline_steps')
      .selectAll()
      .where(
        'run_id',
        'in',
        runs.map((r) => r.id),
      )
      .orderBy('position')
      .execute();
    return runs.map((r) =>
      runView(
        r,
        steps.filter((s) => s.run_id === r.id),
      ),
    );
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('pipeline_runs')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Runs left `running` or `queued` (a process that stopped mid-run), oldest first. */
  async unfinished(): Promise<number[]> {
    const rows = await this.db
      .selectFrom('pipeline_runs')
      .select('id')
      .where('status', 'in', ['queued', 'running'])
      .orderBy('id')
      .execute();
    return rows.map((r) => r.id);
  }

  async setRun(id: number, status: RunStatus, error: string | null = null): Promise<void> {
    const now = new Date();
    await this.db
      .updateTable('pipeline_runs')
      .set({
        status,
        error,
        ...(status === 'running' ? { started_at: now, finished_at: null } : {}),
        ...(status === 'succeeded' || status === 'failed' || status === 'cancelled' ? { finished_at: now } : {}),
      })
      .where('id', '=', id)
      .execute();
  }

  async setStep(
    runId: number,
    position: number,
    patch: {
      status?: StepStatus;
      progress?: number;
      message?: string | null;
      output?: Record<string, unknown> | null;
      error?: string | null;
    },
  ): Promise<void> {
    const now = new Date();
    await this.db
      .updateTable('pipeline_steps')
      .set({
        ...(patch.status ? { status: patch.status } : {}),
        ...(patch.progress !== undefined ? { progress: patch.progress } : {}),
        ...(patch.message !== undefined ? { message: patch.message } : {}),
        ...(patch.output !== undefined ? { output: patch.output ? JSON.stringify(patch.output) : null } : {}),
        ...(patch.error !== undefined ? { error: patch.error } : {}),
        ...(patch.status === 'running' ? { started_at: now, finished_at: null, error: null } : {}),
        ...(patch.status && patch.status !== 'running' && patch.status !== 'pending' ? { finished_at: now } : {}),
      })
      .where('run_id', '=', runId)
      .where('position', '=', position)
      .execute();
  }

  /**
   * Marks a step `running` for `worker` and counts the attempt, unless it already finished (succeeded or
   * skipped): then answers false and changes nothing, so a step delivered twice runs at most once more.
   */
  async claimStep(runId: number, position: number, worker: string): Promise<boolean> {
    const res = await this.db
      .updateTable('pipeline_steps')
      .set((eb) => ({
        status: 'running',
        progress: 0,
        message: null,
        error: null,
        worker,
        attempts: eb('attempts', '+', 1),
        started_at: new Date(),
        finished_at: null,
      }))
      .where('run_id', '=', runId)
      .where('position', '=', position)
      .where('status', 'not in', ['succeeded', 'skipped'])
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /**
   * Records a step's result once: the output is written only while the step is not already succeeded or
   * skipped (keyed by run + position). Answers false when another attempt recorded it first.
   */
  async recordStep(
    runId: number,
    position: number,
    status: 'succeeded' | 'skipped',
    output: Record<string, unknown>,
    message: string | null,
  ): Promise<boolean> {
    const res = await this.db
      .updateTable('pipeline_steps')
      .set({
        status,
        progress: 1,
        output: JSON.stringify(output),
        ...(message !== null ? { message } : {}),
        finished_at: new Date(),
      })
      .where('run_id', '=', runId)
      .where('position', '=', position)
      .where('status', 'not in', ['succeeded', 'skipped'])
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Moves a run from `queued` to `running` (setting its start time once); false when it was not queued. */
  async markRunning(id: number): Promise<boolean> {
    const res = await this.db
      .updateTable('pipeline_runs')
      .set({ status: 'running', started_at: new Date(), finished_at: null })
      .where('id', '=', id)
      .where('status', '=', 'queued')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Ends a `running` or `queued` run (once: false when it had ended already). */
  async finishRun(
    id: number,
    status: 'succeeded' | 'failed' | 'cancelled',
    error: string | null = null,
  ): Promise<boolean> {
    const res = await this.db
      .updateTable('pipeline_runs')
      .set({ status, error, finished_at: new Date() })
      .where('id', '=', id)
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Queues a stopped run again under a new epoch (so its old queued jobs are stale); answers the epoch. */
  async requeue(id: number): Promise<number> {
    const row = await this.db
      .updateTable('pipeline_runs')
      .set((eb) => ({ status: 'queued', error: null, epoch: eb('epoch', '+', 1) }))
      .where('id', '=', id)
      .returning('epoch')
      .executeTakeFirstOrThrow();
    return row.epoch;
  }

  async log(runId: number, step: string | null, level: LogLevel, message: string): Promise<void> {
    await this.db.insertInto('pipeline_logs').values({ run_id: runId, step, level, message }).execute();
  }

  /** Log lines of a run after `afterId` (for tailing), oldest first. */
  async logs(runId: number, afterId = 0, limit = 500): Promise<LogLine[]> {
    const rows = await this.db
      .selectFrom('pipeline_logs')
      .selectAll()
      .where('run_id', '=', runId)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      step: r.step,
      level: r.level as LogLevel,
      message: r.message,
      at: new Date(r.at),
    }));
  }

  /** Removes finished runs older than `days` (logs and steps cascade). */
  async prune(days: number): Promise<number> {
    const res = await this.db
      .deleteFrom('pipeline_runs')
      .where('status', 'in', ['succeeded', 'failed', 'cancelled'])
      .where('created_at', '<', sql<Date>`now() - make_interval(days => ${days})`)
      .executeTakeFirst();
    return Number(res.numDeletedRows ?? 0n);
  }
}

function runView(r: Selectable<PipelineRunsTable>, steps: Selectable<PipelineStepsTable>[]): RunView {
  const d = (x: Date | null) => (x ? new Date(x) : null);
  return {
    id: r.id,
    flow: r.flow,
    status: r.status as RunStatus,
    params: r.params,
    requestedBy: r.requested_by,
    error: r.error,
    createdAt: new Date(r.created_at),
    startedAt: d(r.started_at),
    finishedAt: d(r.finished_at),
    schedule: r.schedule ?? null,
    epoch: r.epoch ?? 0,
    steps: steps.map((s) => ({
      position: s.position,
      name: s.name,
      status: s.status as StepStatus,
      progress: s.progress,
      message: s.message,
      output: s.output,
      error: s.error,
      startedAt: d(s.started_at),
      finishedAt: d(s.finished_at),
      worker: s.worker ?? null,
      attempts: s.attempts ?? 0,
    })),
  };
}

/**
 * Inserts a queued run and its pending steps with `db` (a transaction of the caller's: a schedule claims its
 * fire time and records the run in one transaction). Answers the run id.
 */
export async function insertRun(
  db: Kysely<Database>,
  steps: string[],
  params: Record<string, unknown>,
  requestedBy: string | null,
  schedule: string | null = null,
): Promise<number> {
  const { id } = await db
    .insertInto('pipeline_runs')
    .values({
      flow: steps.join(','),
      status: 'queued',
      params: JSON.stringify(params),
      requested_by: requestedBy,
      schedule,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('pipeline_steps')
    .values(steps.map((name, position) => ({ run_id: id, position, name, status: 'pending', progress: 0 })))
    .execute();
  return id;
}
