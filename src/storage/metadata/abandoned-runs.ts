import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import { pidAlive } from './owner.js';
import type { Database } from './schema.js';

/** Who runs a recorded run: kept in the run's params (`_process`) so a later process can tell it died. */
export interface RunProcess {
  pid: number;
  host: string;
}

/** This process, to record in a run's params as `_process`. */
export function thisProcess(): RunProcess {
  return { pid: process.pid, host: hostname() };
}

/**
 * Marks the runs of `table` that are still `running` but whose process (params `_process`, see
 * {@link thisProcess}) was on this host and is gone (killed, crashed) as `interrupted`, so a run killed
 * half-way is not shown as running for ever; the next run redoes its work (ingestion and training are
 * safe to run again). Runs of other hosts, of live processes, or recorded without `_process` are left
 * alone. Returns the ids it closed.
 */
export async function closeAbandonedRuns(
  db: Kysely<Database>,
  table: 'ingest_runs' | 'training_runs',
): Promise<number[]> {
  const rows = await db.selectFrom(table).select(['id', 'params']).where('status', '=', 'running').execute();
  const host = hostname();
  const gone = rows.filter((r) => {
    const p = (r.params as { _process?: Partial<RunProcess> } | null)?._process;
    return p?.host === host && typeof p.pid === 'number' && p.pid !== process.pid && !pidAlive(p.pid);
  });
  if (gone.length === 0) return [];
  const ids = gone.map((r) => r.id);
  const finished_at = new Date();
  if (table === 'training_runs') {
    await db
      .updateTable('training_runs')
      .set({ status: 'interrupted', error: 'the process running it stopped before it finished', finished_at })
      .where('id', 'in', ids)
      .where('status', '=', 'running')
      .execute();
  } else {
    await db
      .updateTable('ingest_runs')
      .set({ status: 'interrupted', finished_at })
      .where('id', 'in', ids)
      .where('status', '=', 'running')
      .execute();
  }
  return ids;
}
