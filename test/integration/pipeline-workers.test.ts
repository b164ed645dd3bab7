import { join } from 'node:path';
import { connect } from '@lancedb/lancedb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importReviewRows } from '../../src/labeling/index.js';
import { productReviewDemoPool } from '../../src/pipeline/demo.js';
import { claimFire, PipelineStore, type RunView } from '../../src/pipeline/index.js';
import { MetadataStore } from '../../src/storage/index.js';
import { SHARED } from '../helpers/paths.js';
import { SKIP_PG } from '../helpers/postgres.js';
import { type Proc, scaleOutSetup, spawnReviewlens } from '../helpers/workers.js';

/**
 * Scale-out on real servers: one API server (`reviewlens start`) and two workers (`reviewlens worker`), as three
 * processes on a real PostgreSQL database of the test's own and a real Redis (a key prefix of the test's own).
 * The server's schedule (every 5 s) starts a run of label → index over 140 real unlabelled product reviews; the
 * worker that holds the label step is SIGKILLed half-way through it. The other worker takes the step over once
 * the killed one's BullMQ lock expires (10 s here), and the run finishes: every review has exactly one labeling
 * decision (none lost, none applied twice), the search index holds each review once, and the label step's result
 * was recorded once, by the second worker, on its second attempt.
 */
const skip = SKIP_PG || process.env.REVIEWLENS_SKIP_REDIS === '1';
const PER_DOMAIN = 10; // 14 domains: 140 reviews

let setup: Awaited<ReturnType<typeof scaleOutSetup>>;
const procs: Proc[] = [];
let reviewIds: string[] = [];

beforeAll(async () => {
  if (skip) return;
  setup = await scaleOutSetup('rl_workers', {
    // Decisions are written every 10 reviews, so a kill lands between written and unwritten ones.
    labeling: { batchSize: 10, useLlm: false },
    pipeline: {
      queue: { lockSeconds: 10 },
      schedules: [{ name: 'kill-test', cron: '*/5 * * * * *', steps: ['label', 'index'] }],
    },
  });
  const meta = await MetadataStore.open({ url: setup.dbUrl });
  try {
    const rows = productReviewDemoPool(SHARED, PER_DOMAIN);
    const report = await importReviewRows(meta, rows, { source: 'test:workers', origin: 'fdu-mtl unlabel' });
    expect(report.inserted).toBe(rows.length);
    reviewIds = (await meta.reviews.list({ limit: 1000 })).map((r) => r.id);
  } finally {
    await meta.close();
  }
}, 120_000);

afterAll(async () => {
  if (skip) return;
  for (const p of procs) await p.stop();
  await setup?.dispose();
}, 60_000);

describe.skipIf(skip)('pipeline on BullMQ workers (real PostgreSQL + Redis)', () => {
  it('finishes a scheduled run after the worker running a step is SIGKILLed, losing and repeating nothing', async () => {
    const workers = ['A', 'B'].map((id) =>
      spawnReviewlens(`worker ${id}`, ['worker', '--id', id], setup.env, setup.dataDir),
    );
    procs.push(...workers);
    for (const w of workers) await w.waitFor(/taking pipeline steps from queue/);
    const server = spawnReviewlens('server', ['start'], setup.env, setup.dataDir);
    procs.push(server);
    const [, url] = await server.waitFor(/listening on (http:\/\/[0-9.:]+)/, 180_000);

    const meta = await MetadataStore.open({ url: setup.dbUrl });
    const store = new PipelineStore(meta.db);
    try {
      const firstRun = async (): Promise<RunView | undefined> => {
        const row = await meta.db
          .selectFrom('pipeline_runs')
          .select('id')
          .where('schedule', '=', 'kill-test')
          .orderBy('id')
          .executeTakeFirst();
        return row ? store.get(row.id) : undefined;
      };
      const decisions = async () =>
        Number(
          (
            await meta.db
              .selectFrom('label_decisions')
              .select((eb) => eb.fn.countAll<string>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      // Mid-step: the label step runs and has written some of its decisions, not all.
      await expect
        .poll(
          async () => {
            const run = await firstRun();
            const n = await decisions();
            return run?.steps[0]?.status === 'running' && n > 0 && n < reviewIds.length * 0.6;
          },
          { timeout: 240_000, interval: 100 },
        )
        .toBe(true);
      const running = (await firstRun())!;
      const victimId = running.steps[0]!.worker!;
      expect(['A', 'B']).toContain(victimId);
      const victim = workers[victimId === 'A' ? 0 : 1]!;
      const survivor = workers[victimId === 'A' ? 1 : 0]!;
      victim.child.kill('SIGKILL');
      const atKill = await decisions();

      let done: RunView | undefined;
      await expect
        .poll(
          async () => {
            done = await store.get(running.id);
            return done?.status;
          },
          { timeout: 300_000, interval: 500 },
        )
        .toBe('succeeded');
      const run = done!;
      // The label step was taken over by the other worker, started twice and recorded once.
      expect(run.steps[0]).toMatchObject({
        name: 'label',
        status: 'succeeded',
        worker: survivor.name.slice(-1),
        attempts: 2,
      });
      expect(run.steps[1]).toMatchObject({ name: 'index', status: 'succeeded', attempts: 1 });
      const label = run.steps[0]!.output as { considered: number; accepted: number; queued: number; discarded: number };
      // The second attempt labelled only what the first had not written.
      expect(label.considered).toBe(reviewIds.length - atKill);
      expect(label.accepted + label.queued + label.discarded).toBe(label.considered);
      const log = (await store.logs(run.id)).map((l) => l.message);
      expect(log.some((m) => m.startsWith(`taken over by worker ${survivor.name.slice(-1)} (attempt 2`))).toBe(true);

      // Nothing lost, nothing applied twice: one decision per review, each review in the index once.
      const perReview = await meta.db
        .selectFrom('label_decisions')
        .select(['review_id', (eb) => eb.fn.countAll<string>().as('n')])
        .groupBy('review_id')
        .execute();
      expect(perReview.length).toBe(reviewIds.length);
      expect(perReview.every((r) => Number(r.n) === 1)).toBe(true);
      expect(new Set(perReview.map((r) => r.review_id))).toEqual(new Set(reviewIds));
      const conn = await connect(join(setup.dataDir, 'index'));
      const table = await conn.openTable('reviews');
      const ids = (await table.query().select(['id']).toArray()).map((r) => String((r as { id: string }).id));
      table.close();
      conn.close();
      expect(ids.length).toBe(reviewIds.length);
      expect(new Set(ids).size).toBe(ids.length);
      expect((run.steps[1]!.output as { reviews: number }).reviews).toBe(reviewIds.length);

      // While the run was unfinished, the schedule's fires started nothing (one run at a time).
      const overlapping = await meta.db
        .selectFrom('pipeline_runs')
        .select('id')
        .where('schedule', '=', 'kill-test')
        .where('id', '!=', run.id)
        .where('created_at', '<', run.finishedAt!)
        .execute();
      expect(overlapping).toEqual([]);
      // A second server claiming the same fire time as the first gets nothing (the claim is in PostgreSQL).
      const again = await claimFire(meta.db, { name: 'kill-test', params: {} }, ['label'], run.createdAt);
      expect(again.kind).not.toBe('started');

      // The API server answers for the run and the schedule.
      const api = (await (await fetch(`${url}/api/pipeline/runs/${run.id}`)).json()) as { status: string };
      expect(api.status).toBe('succeeded');
      const sched = (await (await fetch(`${url}/api/pipeline/schedules`)).json()) as {
        schedules: Array<{ name: string; last_fire_at: string | null }>;
      };
      expect(sched.schedules[0]).toMatchObject({ name: 'kill-test' });
      expect(sched.schedules[0]!.last_fire_at).not.toBeNull();
    } finally {
      await meta.close();
    }
  }, 600_000);
});
