import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/index.js';
import {
  claimFire,
  nextFire,
  PipelineRunner,
  PipelineScheduler,
  type PipelineServices,
  type PipelineStep,
  type Schedule,
} from '../../src/pipeline/index.js';
import { LocalBlobStore, MetadataStore } from '../../src/storage/index.js';
import { ModelRegistry } from '../../src/training/index.js';
import { tempDir } from '../helpers/paths.js';

/**
 * Schedules (`pipeline.schedules`, cron syntax) on the in-process runner over a real (in-memory PGlite)
 * metadata store, with a small step written for the test. The claim across several servers is tested on a
 * real PostgreSQL server in test/integration/pipeline-workers.test.ts.
 */
let meta: MetadataStore;
let services: PipelineServices;

beforeEach(async () => {
  meta = await MetadataStore.open({ url: 'memory://' });
  const dir = tempDir();
  const blobs = new LocalBlobStore(dir);
  services = {
    config: loadConfig({ env: {}, cwd: dir, overrides: { dataDir: dir } }),
    meta,
    blobs,
    registry: new ModelRegistry(meta, blobs),
    encoders: async () => {
      throw new Error('not used');
    },
    retrieval: async () => undefined,
  };
});
afterEach(async () => {
  await meta.close();
});

/** A step that runs until `release()` is called. */
function gated(): { step: PipelineStep; release: () => void; runs: number[] } {
  const waiting: Array<() => void> = [];
  const runs: number[] = [];
  return {
    runs,
    release: () => {
      for (const w of waiting.splice(0)) w();
    },
    step: {
      name: 'work',
      description: 'waits to be released',
      async run(ctx) {
        runs.push(ctx.runId);
        await new Promise<void>((r) => waiting.push(r));
        return { ran: ctx.runId };
      },
    },
  };
}

const schedule = (over: Partial<Schedule> = {}): Schedule => ({
  name: 'nightly',
  cron: '0 3 * * *',
  params: { from: 'schedule' },
  timezone: 'UTC',
  enabled: true,
  ...over,
});

describe('pipeline schedules', () => {
  it('computes fire times in the schedule time zone, with or without a seconds field', () => {
    const after = new Date('2026-12-01T05:00:00Z');
    expect(nextFire({ cron: '0 3 * * *', timezone: 'UTC' }, after).toISOString()).toBe('2026-12-02T03:00:00.000Z');
    expect(nextFire({ cron: '0 3 * * *', timezone: 'Europe/Berlin' }, after).toISOString()).toBe(
      '2026-12-02T02:00:00.000Z',
    );
    expect(nextFire({ cron: '*/15 * * * * *', timezone: 'UTC' }, after).toISOString()).toBe('2026-12-01T05:00:15.000Z');
  });

  it('claims a fire time once, records the run with its schedule, and skips fires while that run is unfinished', async () => {
    const g = gated();
    const runner = new PipelineRunner(services, [g.step]);
    const s = schedule();
    const sched = new PipelineScheduler(meta.db, runner, [s]);
    const t1 = new Date('2026-12-02T03:00:00Z');
    const first = await sched.fire(s, t1);
    expect(first.kind).toBe('started');
    const runId = (first as { runId: number }).runId;
    // A second server firing the same time finds it claimed.
    expect(await claimFire(meta.db, s, ['work'], t1)).toEqual({ kind: 'claimed-elsewhere' });
    await expect.poll(() => g.runs.length).toBe(1);
    // The next fire comes while the run still runs: nothing is started twice.
    const t2 = new Date('2026-12-03T03:00:00Z');
    expect(await sched.fire(s, t2)).toEqual({ kind: 'skipped', runningId: runId });
    const row = await meta.db.selectFrom('pipeline_schedules').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      name: 'nightly',
      last_run_id: runId,
      last_outcome: `skipped: run ${runId} is still running`,
    });
    g.release();
    const run = await runner.wait(runId);
    expect(run).toMatchObject({ status: 'succeeded', schedule: 'nightly', requestedBy: 'schedule:nightly' });
    expect(run.params).toEqual({ from: 'schedule' });
    expect(run.steps[0]).toMatchObject({ worker: 'in-process', attempts: 1, output: { ran: runId } });
    // Once it finished, the next fire starts a new run.
    const third = await sched.fire(s, new Date('2026-12-04T03:00:00Z'));
    expect(third.kind).toBe('started');
    await expect.poll(() => g.runs.length).toBe(2);
    g.release();
    await runner.wait((third as { runId: number }).runId);
    await sched.stop();
    await runner.close();
  });

  it('fires on its own clock in the background (a 6-field cron, every second)', async () => {
    const g = gated();
    const runner = new PipelineRunner(services, [g.step]);
    const fires: string[] = [];
    const sched = new PipelineScheduler(meta.db, runner, [schedule({ name: 'fast', cron: '* * * * * *' })], {
      onFire: (_name, _at, outcome) => fires.push(outcome.kind),
    }).start();
    await expect.poll(() => fires.filter((f) => f === 'skipped').length, { timeout: 10_000 }).toBeGreaterThan(0);
    await sched.stop();
    // Every fire after the first found the first run unfinished.
    expect(fires[0]).toBe('started');
    expect(fires.slice(1).every((f) => f === 'skipped')).toBe(true);
    expect(await runner.store.count()).toBe(1);
    g.release();
    await runner.close();
  });

  it('refuses a bad cron expression, a duplicate name and an unknown step with the path that is wrong', () => {
    const cwd = tempDir();
    const load = (v: unknown) =>
      loadConfig({ env: { REVIEWLENS_PIPELINE_SCHEDULES: JSON.stringify(v) }, cwd, overrides: { dataDir: cwd } });
    expect(() => load([{ name: 'x', cron: '61 * * * *' }])).toThrow(
      /pipeline\.schedules\.0\.cron: not a cron expression or time zone: .*61/,
    );
    expect(() => load([{ name: 'x', cron: '0 3 * * *', timezone: 'Mars/Olympus' }])).toThrow(
      /pipeline\.schedules\.0\.cron: not a cron expression or time zone/,
    );
    expect(() =>
      load([
        { name: 'x', cron: '0 3 * * *' },
        { name: 'x', cron: '0 4 * * *' },
      ]),
    ).toThrow(/pipeline\.schedules: schedule names must be unique/);
    const ok = load([{ name: 'nightly', cron: '0 3 * * *', steps: ['label', 'nope'] }]);
    expect(ok.pipeline.schedules[0]).toMatchObject({ name: 'nightly', timezone: 'UTC', enabled: true, params: {} });
    const runner = new PipelineRunner(services, [gated().step]);
    expect(() => new PipelineScheduler(meta.db, runner, ok.pipeline.schedules)).toThrow(
      /pipeline\.schedules\.0\.steps: unknown steps label, nope in schedule nightly \(known: work\)/,
    );
  });
});
