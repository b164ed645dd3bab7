import { CronExpressionParser } from 'cron-parser';
import type { Kysely } from 'kysely';
import type { Config } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import type { Database } from '../storage/index.js';
import type { PipelineControl } from './runner.js';
import { insertRun } from './store.js';
import type { LogLevel } from './types.js';

/** One `pipeline.schedules` entry (src/core/config.ts). */
export type Schedule = Config['pipeline']['schedules'][number];

/** What one fire of a schedule did. */
export type FireOutcome =
  | { kind: 'started'; runId: number }
  /** Another server claimed this fire time first. */
  | { kind: 'claimed-elsewhere' }
  /** The schedule's previous run is still queued or running: a run is not started twice. */
  | { kind: 'skipped'; runningId: number };

/** setTimeout's largest delay; a longer wait is taken in hops. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The next fire time of `s` strictly after `after` (cron-parser, in the schedule's time zone). */
export function nextFire(s: Pick<Schedule, 'cron' | 'timezone'>, after: Date): Date {
  return CronExpressionParser.parse(s.cron, { currentDate: after, tz: s.timezone }).next().toDate();
}

/**
 * Claims the fire of schedule `s` at `fireAt` and records its run, in one transaction, so that with several
 * servers on one PostgreSQL database exactly one of them starts it: the schedule's row is locked
 * (`SELECT ... FOR UPDATE`); a fire time at or before the one recorded was claimed already; a run of the
 * schedule still `queued` or `running` makes the fire a skip (recorded as the row's `last_outcome`).
 * The caller dispatches the run it answers (`PipelineControl.dispatch`); a run recorded by a process that
 * died before dispatching it stays `queued` and is picked up by `resumeUnfinished` on the next start.
 */
export async function claimFire(
  db: Kysely<Database>,
  s: Pick<Schedule, 'name' | 'steps' | 'params'>,
  steps: string[],
  fireAt: Date,
): Promise<FireOutcome> {
  return db.transaction().execute(async (tx) => {
    await tx
      .insertInto('pipeline_schedules')
      .values({ name: s.name })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const row = await tx
      .selectFrom('pipeline_schedules')
      .selectAll()
      .where('name', '=', s.name)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (row.last_fire_at && new Date(row.last_fire_at).getTime() >= fireAt.getTime()) {
      return { kind: 'claimed-elsewhere' } as const;
    }
    const active = await tx
      .selectFrom('pipeline_runs')
      .select('id')
      .where('schedule', '=', s.name)
      .where('status', 'in', ['queued', 'running'])
      .orderBy('id')
      .executeTakeFirst();
    if (active) {
      await tx
        .updateTable('pipeline_schedules')
        .set({
          last_fire_at: fireAt,
          last_outcome: `skipped: run ${active.id} is still running`,
          updated_at: new Date(),
        })
        .where('name', '=', s.name)
        .execute();
      return { kind: 'skipped', runningId: active.id } as const;
    }
    const runId = await insertRun(tx, steps, s.params, `schedule:${s.name}`, s.name);
    await tx
      .updateTable('pipeline_schedules')
      .set({ last_fire_at: fireAt, last_run_id: runId, last_outcome: 'started', updated_at: new Date() })
      .where('name', '=', s.name)
      .execute();
    return { kind: 'started', runId } as const;
  });
}

export interface SchedulerOptions {
  log?: (level: LogLevel, message: string) => void;
  /** Called after each fire (tests and metrics). */
  onFire?: (schedule: string, fireAt: Date, outcome: FireOutcome) => void;
  /** The clock (tests). */
  now?: () => Date;
}

/**
 * Starts the configured schedules' runs in the background of a server (`pipeline.schedules`, cron syntax).
 * Each enabled schedule waits for its next fire time, then {@link claimFire}s it and hands the run to the
 * runner: the in-process one, or with `pipeline.queue.backend: bullmq` the queue the workers take steps from.
 * Fire times that passed while no server ran are not made up for. Every server may run a scheduler: the
 * metadata store decides which one starts each fire.
 */
export class PipelineScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly steps = new Map<string, string[]>();
  private stopped = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly runner: PipelineControl,
    private readonly schedules: readonly Schedule[],
    private readonly opts: SchedulerOptions = {},
  ) {
    const known = runner.available().map((s) => s.name);
    for (const [i, s] of schedules.entries()) {
      const names = s.steps && s.steps.length > 0 ? s.steps : known;
      const unknown = names.filter((n) => !known.includes(n));
      if (unknown.length > 0) {
        throw new ConfigError(
          `invalid configuration:\n  pipeline.schedules.${i}.steps: unknown step${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} in schedule ${s.name} (known: ${known.join(', ')})`,
        );
      }
      this.steps.set(s.name, names);
    }
  }

  /** The enabled schedules with their next fire time. */
  upcoming(): Array<{ name: string; cron: string; timezone: string; next: Date }> {
    const now = this.now();
    return this.schedules
      .filter((s) => s.enabled)
      .map((s) => ({ name: s.name, cron: s.cron, timezone: s.timezone, next: nextFire(s, now) }));
  }

  start(): this {
    for (const s of this.schedules) if (s.enabled) this.arm(s);
    return this;
  }

  /** Fires `s` at `fireAt` now (what the timer does; tests call it directly). */
  async fire(s: Schedule, fireAt: Date): Promise<FireOutcome> {
    const outcome = await claimFire(this.db, s, this.steps.get(s.name) ?? [], fireAt);
    if (outcome.kind === 'started') {
      await this.runner.dispatch(outcome.runId);
      this.opts.log?.('info', `schedule ${s.name} (${s.cron}): started pipeline run ${outcome.runId}`);
    } else if (outcome.kind === 'skipped') {
      this.opts.log?.(
        'info',
        `schedule ${s.name}: run ${outcome.runningId} is still queued or running; this fire starts nothing`,
      );
    }
    this.opts.onFire?.(s.name, fireAt, outcome);
    return outcome;
  }

  /** Stops the timers and waits for a fire in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  private arm(s: Schedule, after = this.now()): void {
    if (this.stopped) return;
    const at = nextFire(s, after);
    const wait = () => {
      const left = at.getTime() - this.now().getTime();
      if (left > 0) {
        this.timers.set(s.name, setTimeout(wait, Math.min(left, MAX_TIMER_MS)).unref());
        return;
      }
      const p = this.fire(s, at)
        .catch((e: Error) =>
          this.opts.log?.('error', `schedule ${s.name}: the fire at ${at.toISOString()} failed: ${e.message}`),
        )
        .finally(() => {
          this.inFlight.delete(p);
          // Fire times missed while this one ran are not made up for.
          this.arm(s, new Date(Math.max(at.getTime(), this.now().getTime())));
        });
      this.inFlight.add(p);
    };
    wait();
  }
}
