import { Gauge, type Registry } from 'prom-client';
import { LabelQueue } from '../labeling/index.js';
import type { MetadataStore } from '../storage/index.js';

/** How long a scrape waits for the metadata store's counts: an unreachable database must not stall /metrics. */
export const STORE_METRICS_TIMEOUT_MS = 1000;

/** `p`, or a rejection after `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the metadata store in ${ms} ms`)), ms);
  });
  p.catch(() => {});
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Pipeline run states counted by `reviewlens_pipeline_runs`. */
const RUN_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

/**
 * Gauges read from the metadata store at scrape time (one grouped count each; the store is shared, so every
 * server exports the same figures: aggregate them with `max`, not `sum`):
 * - `reviewlens_pipeline_runs{status}`: pipeline runs by status (queued = the backlog; a rise in failed = a failure);
 * - `reviewlens_pipeline_last_finished_timestamp_seconds{status}`: when the last run that ended so finished (Unix s);
 * - `reviewlens_labeling_queue_items{status}`: the human review queue by status (pending = waiting for a person);
 * - `reviewlens_metadata_scrape_ok`: 1 when these counts could be read, 0 when the store was unreachable or slower
 *   than STORE_METRICS_TIMEOUT_MS (then the other gauges are absent from that scrape rather than wrong).
 */
export function registerStoreMetrics(registry: Registry, meta: MetadataStore): void {
  const registers = [registry];
  const queue = new LabelQueue(meta);
  /** One read of the store per scrape, shared by the four gauges (prom-client collects them concurrently). */
  let pending: Promise<StoreCounts | undefined> | undefined;
  const read = () => {
    // Shared while in flight (the gauges of one scrape start together), read afresh by the next scrape.
    pending ??= readCounts(meta, queue).finally(() => {
      pending = undefined;
    });
    return pending;
  };
  new Gauge({
    name: 'reviewlens_metadata_scrape_ok',
    help: 'Whether the pipeline and labeling counts could be read from the metadata store at this scrape',
    registers,
    async collect() {
      this.set((await read()) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'reviewlens_pipeline_runs',
    help: 'Pipeline runs in the metadata store, by status (queued runs are the backlog)',
    labelNames: ['status'],
    registers,
    async collect() {
      this.reset();
      const c = await read();
      for (const [status, n] of Object.entries(c?.runs ?? {})) this.set({ status }, n);
    },
  });
  new Gauge({
    name: 'reviewlens_pipeline_last_finished_timestamp_seconds',
    help: 'When the last pipeline run that ended with this status finished (Unix time)',
    labelNames: ['status'],
    registers,
    async collect() {
      this.reset();
      const c = await read();
      for (const [status, at] of Object.entries(c?.lastFinished ?? {})) this.set({ status }, at);
    },
  });
  new Gauge({
    name: 'reviewlens_labeling_queue_items',
    help: 'Items in the human review queue, by status (pending: waiting for a person)',
    labelNames: ['status'],
    registers,
    async collect() {
      this.reset();
      const c = await read();
      for (const [status, n] of Object.entries(c?.queue ?? {})) this.set({ status }, n);
    },
  });
}

interface StoreCounts {
  runs: Record<string, number>;
  /** Unix seconds. */
  lastFinished: Record<string, number>;
  queue: Record<string, number>;
}

/** The counts, or undefined when the store did not answer within STORE_METRICS_TIMEOUT_MS. */
async function readCounts(meta: MetadataStore, queue: LabelQueue): Promise<StoreCounts | undefined> {
  try {
    const [runRows, finishedRows, queueCounts] = await within(
      Promise.all([
        meta.db
          .selectFrom('pipeline_runs')
          .select((eb) => ['status', eb.fn.countAll<string>().as('n')])
          .groupBy('status')
          .execute(),
        meta.db
          .selectFrom('pipeline_runs')
          .select((eb) => ['status', eb.fn.max('finished_at').as('at')])
          .where('finished_at', 'is not', null)
          .groupBy('status')
          .execute(),
        queue.counts(),
      ]),
      STORE_METRICS_TIMEOUT_MS,
    );
    const runs = Object.fromEntries(RUN_STATES.map((s) => [s, 0])) as Record<string, number>;
    for (const r of runRows) runs[r.status] = Number(r.n);
    const lastFinished: Record<string, number> = {};
    for (const r of finishedRows) {
      const at = r.at ? new Date(r.at as unknown as string | Date).getTime() : Number.NaN;
      if (Number.isFinite(at)) lastFinished[r.status] = at / 1000;
    }
    return { runs, lastFinished, queue: { ...queueCounts } };
  } catch {
    return undefined;
  }
}
