import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/index.js';
import { LabelQueue } from '../../src/labeling/index.js';
import { DEMO_PER_DOMAIN, PRODUCT_REVIEWS_UNLABELLED_SOURCE, productReviewDemoPool } from '../../src/pipeline/demo.js';
import { demoPoolFile, type PipelineRunner, seedDemoPool } from '../../src/pipeline/index.js';
import { LocalBlobStore, MetadataStore } from '../../src/storage/index.js';
import { MVSA_IMAGES, SHARED, tempDir } from '../helpers/paths.js';
import { type RunningServer, startServer } from '../helpers/server.js';

/** The first-start demo pool: `auto` is a sample of unlabelled product reviews (FDU-MTL's `unlabel` pools). */
const dir = tempDir();
const FDU = join(SHARED, 'ecommerce-reviews', 'fdu-mtl');
let server: RunningServer;

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  server = await startServer({ REVIEWLENS_DEMO_POOL: 'auto' });
});
afterAll(async () => {
  await server?.close();
});

describe('demo pool', () => {
  it('resolves `auto` to the shared product-review pools, a path to that file, and `off` to nothing', () => {
    const at = (v: string) => demoPoolFile(loadConfig({ env: { REVIEWLENS_DEMO_POOL: v }, cwd: dir }));
    expect(at('auto')).toBe(FDU);
    expect(at('off')).toBeUndefined();
    expect(at(join(dir, 'missing.jsonl'))).toBeUndefined();
    const mvsa = join(SHARED, 'mvsa-single', 'unlabeled.jsonl');
    expect(at(mvsa)).toBe(mvsa);
  });

  it('`auto` samples 40 reviews of each of the 14 product domains, the same ones every time', () => {
    const pool = productReviewDemoPool(SHARED);
    expect(pool).toHaveLength(14 * DEMO_PER_DOMAIN);
    const perDomain = new Map<string, number>();
    for (const r of pool) perDomain.set(r.domain, (perDomain.get(r.domain) ?? 0) + 1);
    expect(perDomain.size).toBe(14);
    expect([...perDomain.values()].every((n) => n === DEMO_PER_DOMAIN)).toBe(true);
    expect(pool.every((r) => r.text.length > 0 && r.text.length <= 3000)).toBe(true);
    // De-tokenised ("do n't" -> "don't").
    expect(pool.some((r) => / n't\b/.test(r.text))).toBe(false);
    expect(productReviewDemoPool(SHARED).map((r) => r.id)).toEqual(pool.map((r) => r.id));
  });

  it('on an empty store imports the product reviews and labels them through a pipeline run; never again once reviews exist', async () => {
    const seeded = await seedDemoPool(server.ctx, server.ctx.pipeline!);
    expect(seeded?.imported).toBe(14 * DEMO_PER_DOMAIN);
    expect(await server.ctx.meta.reviews.count({ source: PRODUCT_REVIEWS_UNLABELLED_SOURCE })).toBe(
      14 * DEMO_PER_DOMAIN,
    );
    const run = await server.ctx.pipeline!.wait(seeded!.runId);
    expect(run).toMatchObject({ status: 'succeeded', requestedBy: 'demo-pool' });
    expect(run.steps.map((s) => s.name)).toEqual(['label']);
    const out = run.steps[0]!.output as {
      considered: number;
      accepted: number;
      queued: number;
      discarded: number;
      failed: number;
    };
    expect(out.considered).toBe(14 * DEMO_PER_DOMAIN);
    expect(out.failed).toBe(0);
    expect(out.accepted + out.queued + out.discarded).toBe(14 * DEMO_PER_DOMAIN);
    const queue = new LabelQueue(server.ctx.meta);
    const counts = await queue.counts();
    expect(counts.pending).toBe(out.queued);
    expect(out.queued).toBeGreaterThan(0);
    // The queue holds product reviews (text only), not tweets.
    const { items } = await queue.list({ status: 'pending', limit: 20 });
    for (const item of items) {
      const review = await server.ctx.meta.reviews.get(item.review_id);
      expect(review).toMatchObject({ source: PRODUCT_REVIEWS_UNLABELLED_SOURCE, photoBlobs: [] });
      expect(review?.provenance).toMatchObject({ domain: expect.any(String), dataset_id: expect.any(String) });
      expect(item.photo_url).toBeNull();
    }
    expect(await seedDemoPool(server.ctx, server.ctx.pipeline!)).toBeUndefined();
  }, 300_000);

  it('a JSONL path still imports that file with its photos', async () => {
    const pool = join(dir, 'unlabeled.jsonl');
    writeFileSync(
      pool,
      readFileSync(join(SHARED, 'mvsa-single', 'unlabeled.jsonl'), 'utf8')
        .split('\n')
        .slice(0, 5)
        .join('\n'),
    );
    symlinkSync(MVSA_IMAGES, join(dir, 'images'));
    const meta = await MetadataStore.open({ url: 'memory://' });
    try {
      const started: unknown[] = [];
      const runner = {
        start: async (o: unknown) => {
          started.push(o);
          return { id: 1 };
        },
      } as unknown as PipelineRunner;
      const config = loadConfig({ env: { REVIEWLENS_DEMO_POOL: pool }, cwd: dir, overrides: { dataDir: dir } });
      const seeded = await seedDemoPool({ config, meta, blobs: new LocalBlobStore(join(dir, 'blobs')) }, runner);
      expect(seeded).toEqual({ runId: 1, imported: 5 });
      expect(started).toEqual([{ steps: ['label'], requestedBy: 'demo-pool' }]);
      expect(await meta.reviews.count({ source: 'dataset:mvsa-unlabeled' })).toBe(5);
    } finally {
      await meta.close();
    }
  });
});
