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

  async create(steps: string[], params: Record<string, unknown>, requestedBy: string | null): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      const { id } = await tx
        .insertInto('pipeline_runs')
        .values({ flow: steps.join(','), status: 'queued', params: JSON.stringify(params), requested_by: requestedBy })
        .returning('id')
        .executeTakeFirstOrThrow();
      await tx
        .insertInto('pipeline_steps')
        .values(steps.map((name, position) => ({ run_id: id, position, name, status: 'pending', progress: 0 })))
        .execute();
      return id;
    });
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
    })),
  };
}
