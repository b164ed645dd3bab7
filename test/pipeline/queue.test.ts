import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/index.js';
import type { PipelineServices, PipelineStep } from '../../src/pipeline/index.js';
import { PipelineWorker, QueuedPipelineRunner, queueSettings } from '../../src/pipeline/queue/index.js';
import { LocalBlobStore, MetadataStore } from '../../src/storage/index.js';
import { ModelRegistry } from '../../src/training/index.js';
import { tempDir } from '../helpers/paths.js';
import { SKIP_PG } from '../helpers/postgres.js';
import { scaleOutSetup } from '../helpers/workers.js';

/**
 * The queue runner and its workers' bookkeeping on a real PostgreSQL database and a real Redis (a key prefix of
 * the test's own), with small steps written for the test and two workers in this process: order of steps across
 * workers, outputs passed on, failure and resume, cancel of a running step, one job per step however often it is
 * queued. The SIGKILL of a worker process is in test/integration/pipeline-workers.test.ts.
 */
const skip = SKIP_PG || process.env.REVIEWLENS_SKIP_REDIS === '1';

let setup: Awaited<ReturnType<typeof scaleOutSetup>>;
let meta: MetadataStore;
let services: PipelineServices;
let runner: QueuedPipelineRunner;
const workers: PipelineWorker[] = [];
const calls: string[] = [];
let failOnce = true;

const steps: PipelineStep[] = [
  {
    name: 'a',
    description: 'first',
    async run(ctx) {
      calls.push(`a:${ctx.runId}`);
      return { n: Number(ctx.params.n ?? 1) };
    },
  },
  {
    name: 'b',
    description: 'reads a',
    async run(ctx) {
      calls.push(`b:${ctx.runId}`);
      if (ctx.params.fail && failOnce) {
        failOnce = false;
        throw new Error('the source went away');
      }
      return { doubled: Number(ctx.outputs.a?.n) * 2 };
    },
  },
  {
    name: 'slow',
    description: 'waits until aborted',
    run: (ctx) =>
      new Promise((_resolve, reject) => {
        calls.push(`slow:${ctx.runId}`);
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
      }),
  },
];

beforeAll(async () => {
  if (skip) return;
  setup = await scaleOutSetup('rl_queue');
  const dir = tempDir();
  const config = loadConfig({ env: { ...setup.env }, cwd: dir, overrides: { dataDir: dir } });
  meta = await MetadataStore.open({ url: setup.dbUrl });
  const blobs = new LocalBlobStore(dir);
  services = {
    config,
    meta,
    blobs,
    registry: new ModelRegistry(meta, blobs),
    encoders: async () => {
      throw new Error('not used');
    },
    retrieval: async () => undefined,
  };
  const settings = queueSettings(config);
  runner = new QueuedPipelineRunner(meta.db, steps, settings);
  for (const id of ['W1', 'W2']) workers.push(await new PipelineWorker(services, steps, settings, { id }).start());
}, 120_000);

afterAll(async () => {
  if (skip) return;
  for (const w of workers) await w.close();
  await runner?.close();
  await meta?.close();
  await setup?.dispose();
}, 60_000);

describe.skipIf(skip)('QueuedPipelineRunner with PipelineWorkers (real PostgreSQL + Redis)', () => {
  it('runs the steps in order on the workers, passing outputs on, and records who ran each', async () => {
    const started = await runner.start({ steps: ['a', 'b'], params: { n: 21 }, requestedBy: 'tester' });
    expect(started.status).toBe('queued');
    // Queueing it again (a server restart, a second server) adds no second job.
    await runner.dispatch(started.id);
    expect(await runner.resumeUnfinished()).toContain(started.id);
    const run = await runner.wait(started.id);
    expect(run.status).toBe('succeeded');
    expect(run.steps.map((s) => [s.name, s.status, s.attempts])).toEqual([
      ['a', 'succeeded', 1],
      ['b', 'succeeded', 1],
    ]);
    expect(run.steps[1]!.output).toEqual({ doubled: 42 });
    expect(run.steps.every((s) => s.worker === 'W1' || s.worker === 'W2')).toBe(true);
    expect(calls.filter((c) => c.endsWith(`:${run.id}`))).toEqual([`a:${run.id}`, `b:${run.id}`]);
    const log = (await runner.store.logs(run.id)).map((l) => l.message);
    expect(log.at(-1)).toBe('finished');
  });

  it('fails a run at its failing step and resumes it from there, without re-running the steps before', async () => {
    const first = await runner.wait((await runner.start({ steps: ['a', 'b'], params: { fail: true } })).id);
    expect(first.status).toBe('failed');
    expect(first.error).toBe('b: the source went away');
    const again = await runner.wait((await runner.resume(first.id)).id);
    expect(again.status).toBe('succeeded');
    expect(again.epoch).toBe(1);
    expect(calls.filter((c) => c.endsWith(`:${first.id}`))).toEqual([
      `a:${first.id}`,
      `b:${first.id}`,
      `b:${first.id}`,
    ]);
    expect(again.steps[1]).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('cancels a run whose step a worker is running: the worker aborts it', async () => {
    const { id } = await runner.start({ steps: ['slow', 'a'] });
    await expect.poll(async () => (await runner.store.get(id))?.steps[0]?.status, { timeout: 20_000 }).toBe('running');
    const cancelled = await runner.cancel(id);
    expect(cancelled.status).toBe('cancelled');
    await expect
      .poll(async () => (await runner.store.get(id))?.steps[0]?.status, { timeout: 20_000 })
      .toBe('cancelled');
    expect((await runner.store.get(id))?.steps[1]?.status).toBe('pending');
    expect(calls).not.toContain(`a:${id}`);
  });

  it('refuses unknown steps with the names it knows', async () => {
    await expect(runner.start({ steps: ['a', 'nope'] })).rejects.toThrow(
      /unknown pipeline step nope \(known: a, b, slow\)/,
    );
  });
});
