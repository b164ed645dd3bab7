import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/index.js';
import { PipelineRunner, type PipelineServices, type PipelineStep } from '../../src/pipeline/index.js';
import { LocalBlobStore, MetadataStore } from '../../src/storage/index.js';
import { ModelRegistry } from '../../src/training/index.js';
import { tempDir } from '../helpers/paths.js';

/**
 * The runner on a real (in-memory PGlite) metadata store, with small steps written for the test: the
 * steps are the runner's plug-ins, so what is checked here is the runner's own bookkeeping.
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

const counter = (name: string, calls: string[]): PipelineStep => ({
  name,
  description: `the ${name} step`,
  async run(ctx) {
    calls.push(name);
    await ctx.progress(0.5, 'half way');
    await ctx.log('info', `${name} ran with ${JSON.stringify(ctx.params)}`);
    return { name, earlier: Object.keys(ctx.outputs) };
  },
});

describe('PipelineRunner', () => {
  it('runs the steps in order, passes earlier outputs on, and records status, output and log', async () => {
    const calls: string[] = [];
    const runner = new PipelineRunner(services, [counter('a', calls), counter('b', calls)]);
    const started = await runner.start({ params: { x: 1 }, requestedBy: 'tester' });
    expect(started.status).toBe('queued');
    const run = await runner.wait(started.id);
    expect(calls).toEqual(['a', 'b']);
    expect(run.status).toBe('succeeded');
    expect(run.requestedBy).toBe('tester');
    expect(run.steps.map((s) => [s.name, s.status, s.progress])).toEqual([
      ['a', 'succeeded', 1],
      ['b', 'succeeded', 1],
    ]);
    expect(run.steps[1]!.output).toEqual({ name: 'b', earlier: ['a'] });
    const log = (await runner.store.logs(run.id)).map((l) => `${l.step ?? '-'} ${l.message}`);
    expect(log).toContain('a a ran with {"x":1}');
    expect(log.at(-1)).toBe('- finished');
    await runner.close();
  });

  it('refuses unknown steps with the names it knows', async () => {
    const runner = new PipelineRunner(services, [counter('a', [])]);
    await expect(runner.start({ steps: ['a', 'nope'] })).rejects.toThrow(/unknown pipeline step nope \(known: a\)/);
    expect(await runner.store.count()).toBe(0);
    await runner.close();
  });

  it('stops at a failing step, records why, and resumes from that step without re-running the ones before', async () => {
    const calls: string[] = [];
    let fail = true;
    const flaky: PipelineStep = {
      name: 'flaky',
      description: 'fails the first time',
      async run() {
        calls.push('flaky');
        if (fail) throw new Error('source went away');
        return { ok: true };
      },
    };
    const runner = new PipelineRunner(services, [counter('a', calls), flaky, counter('c', calls)]);
    const first = await runner.wait((await runner.start()).id);
    expect(first.status).toBe('failed');
    expect(first.error).toBe('flaky: source went away');
    expect(first.steps.map((s) => s.status)).toEqual(['succeeded', 'failed', 'pending']);
    fail = false;
    const again = await runner.wait((await runner.resume(first.id)).id);
    expect(again.status).toBe('succeeded');
    expect(calls).toEqual(['a', 'flaky', 'flaky', 'c']);
    await runner.close();
  });

  it('resumes, in a new runner, a run that a stopped process left running', async () => {
    const calls: string[] = [];
    let release: () => void = () => {};
    const slow: PipelineStep = {
      name: 'slow',
      description: 'waits until aborted',
      run: (ctx) =>
        new Promise((_resolve, reject) => {
          release = () => reject(new Error('never'));
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
        }),
    };
    const a = counter('a', calls);
    const first = new PipelineRunner(services, [a, slow]);
    const { id } = await first.start();
    await expect.poll(async () => (await first.store.get(id))?.steps[1]?.status).toBe('running');
    await first.close(); // shutdown: the run stays `running`, its step goes back to pending
    release();
    const left = (await first.store.get(id))!;
    expect(left.status).toBe('running');
    expect(left.steps.map((s) => s.status)).toEqual(['succeeded', 'pending']);

    const done: PipelineStep = { name: 'slow', description: 'now quick', run: async () => ({ finished: true }) };
    const second = new PipelineRunner(services, [a, done]);
    expect(await second.resumeUnfinished()).toEqual([id]);
    const run = await second.wait(id);
    expect(run.status).toBe('succeeded');
    expect(calls).toEqual(['a']); // the finished step was not run again
    expect((await second.store.logs(id)).map((l) => l.message)).toContain(
      'resumed after the process that ran it stopped',
    );
    await second.close();
  });

  it('cancels a running step through its abort signal, and a queued run before it starts', async () => {
    const slow: PipelineStep = {
      name: 'slow',
      description: 'waits until aborted',
      run: (ctx) =>
        new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
    };
    const runner = new PipelineRunner(services, [slow]);
    const one = await runner.start();
    const two = await runner.start();
    await expect.poll(async () => (await runner.store.get(one.id))?.status).toBe('running');
    expect((await runner.cancel(two.id)).status).toBe('cancelled');
    const cancelled = await runner.cancel(one.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.steps[0]!.status).toBe('cancelled');
    await runner.close();
  });

  it('records a step that says it skipped, with its reason', async () => {
    const skip: PipelineStep = {
      name: 'train',
      description: 'skips',
      run: async () => ({ skipped: true, reason: 'only 3 labelled reviews' }),
    };
    const runner = new PipelineRunner(services, [skip]);
    const run = await runner.wait((await runner.start()).id);
    expect(run.status).toBe('succeeded');
    expect(run.steps[0]).toMatchObject({ status: 'skipped', message: 'only 3 labelled reviews' });
    await runner.close();
  });
  it('wait() returns the finished run when the run ends while its status is being read', async () => {
    // The store read that wait() makes answers "running", and the run finishes (and the runner's loop ends)
    // before that answer arrives: wait() must read again, not take the run for another process's.
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow: PipelineStep = {
      name: 'slow',
      description: 'waits for the test',
      async run() {
        await gate;
        return {};
      },
    };
    const runner = new PipelineRunner(services, [slow]);
    const store = runner.store;
    const read = store.get.bind(store);
    let stale = true;
    store.get = async (id: number) => {
      const view = await read(id);
      if (!stale || view?.status !== 'running') return view;
      stale = false;
      release();
      for (;;) {
        const now = await read(id);
        if (now?.status === 'succeeded' && (runner as unknown as { loop?: unknown }).loop === undefined) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      return view;
    };
    const started = await runner.start();
    while ((await read(started.id))?.status !== 'running') await new Promise((r) => setTimeout(r, 10));
    expect((await runner.wait(started.id)).status).toBe('succeeded');
    expect(stale).toBe(false);
  });
});
