import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/index.js';
import { LabelQueue } from '../../src/labeling/index.js';
import { demoPoolFile, seedDemoPool } from '../../src/pipeline/index.js';
import { MVSA_IMAGES, SHARED, tempDir } from '../helpers/paths.js';
import { type RunningServer, startServer } from '../helpers/server.js';

/** The first-start demo pool: 30 reviews of MVSA-Single's unlabelled pool, laid out as the real one is. */
const dir = tempDir();
const pool = join(dir, 'unlabeled.jsonl');
let server: RunningServer;

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    pool,
    readFileSync(join(SHARED, 'mvsa-single', 'unlabeled.jsonl'), 'utf8')
      .split('\n')
      .slice(0, 30)
      .join('\n'),
  );
  symlinkSync(MVSA_IMAGES, join(dir, 'images'));
  server = await startServer({ REVIEWLENS_DEMO_POOL: pool });
});
afterAll(async () => {
  await server?.close();
});

describe('demo pool', () => {
  it('resolves `auto` to the shared MVSA-Single pool, and `off` to nothing', () => {
    const at = (v: string) => demoPoolFile(loadConfig({ env: { REVIEWLENS_DEMO_POOL: v }, cwd: dir }));
    expect(at('auto')).toBe(join(SHARED, 'mvsa-single', 'unlabeled.jsonl'));
    expect(at('off')).toBeUndefined();
    expect(at(join(dir, 'missing.jsonl'))).toBeUndefined();
  });

  it('on an empty store imports the pool and labels it through a pipeline run; never again once reviews exist', async () => {
    const seeded = await seedDemoPool(server.ctx, server.ctx.pipeline!);
    expect(seeded?.imported).toBe(30);
    const run = await server.ctx.pipeline!.wait(seeded!.runId);
    expect(run).toMatchObject({ status: 'succeeded', requestedBy: 'demo-pool' });
    expect(run.steps.map((s) => s.name)).toEqual(['label']);
    const out = run.steps[0]!.output as { considered: number; accepted: number; queued: number; discarded: number };
    expect(out.considered).toBe(30);
    expect(out.accepted + out.queued + out.discarded).toBe(30);
    const counts = await new LabelQueue(server.ctx.meta).counts();
    expect(counts.pending).toBe(out.queued);
    expect(await seedDemoPool(server.ctx, server.ctx.pipeline!)).toBeUndefined();
  });
});
